"""Canteen subscriptions now belong to reservations (reservations/migrations/0004): forget
them here, leaving their tables, rows and history alone."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inscriptions", "0004_unit_food_share_and_hours"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="mealsubscription", name="enrolment"),
                migrations.RemoveField(model_name="mealsubscription", name="updated_by"),
                migrations.DeleteModel(name="HistoricalMealSubscription"),
                migrations.DeleteModel(name="MealSubscription"),
            ],
            database_operations=[],
        ),
    ]
