# The constraints' messages are shown to parents by model forms: they must read as French
# sentences, not as constraint names. No change in the database.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("familles", "0001_initial"),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="child",
            name="child_second_family_differs",
            constraint=models.CheckConstraint(
                condition=models.Q(("second_family", models.F("family")), _negated=True),
                name="child_second_family_differs",
                violation_error_message=(
                    "Le second foyer doit être une autre famille que celle de l'enfant."
                ),
            ),
        ),
        migrations.AlterConstraint(
            model_name="contact",
            name="contact_has_a_role",
            constraint=models.CheckConstraint(
                condition=models.Q(("can_pick_up", True), ("emergency_contact", True),
                                   _connector="OR"),
                name="contact_has_a_role",
                violation_error_message=(
                    "Indiquez si cette personne peut venir chercher l'enfant, être appelée en "
                    "cas d'urgence, ou les deux."
                ),
            ),
        ),
    ]
