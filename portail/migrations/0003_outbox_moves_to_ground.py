"""The outbox now belongs to the ground (ground/migrations/0001_initial.py): forget it here,
leaving its table alone."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portail", "0002_outbox_sealed_bodies"),
        ("ground", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxMessage")],
            database_operations=[],
        ),
    ]
