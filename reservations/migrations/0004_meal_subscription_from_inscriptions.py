"""Canteen subscriptions move from inscriptions (inscriptions/migrations/0005) to
reservations, which books them: the tables (db_table), their rows and history stay; only
Django's record of which app owns the models changes, and their content types follow, so that
the permissions given to groups stay given."""

import django.db.models.deletion
import inscriptions.models.activities
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MODELS = ["mealsubscription", "historicalmealsubscription"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(
        app_label="inscriptions", model__in=MODELS).update(app_label="reservations")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(
        app_label="reservations", model__in=MODELS).update(app_label="inscriptions")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ('inscriptions', '0005_meal_subscription_moves_to_reservations'),
        ('reservations', '0003_waiting_tickets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalMealSubscription',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('weekdays', models.JSONField(default=list, validators=[inscriptions.models.activities.validate_weekdays], verbose_name='jours')),
                        ('active', models.BooleanField(default=True, verbose_name='en cours')),
                        ('applies_from', models.DateField(help_text='Premier jour encore modifiable sous le délai de la cantine.', verbose_name='appliqué à partir du')),
                        ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='modifié le')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('enrolment', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inscriptions.enrolment', verbose_name='inscription')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('updated_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modifié par')),
                    ],
                    options={
                        'verbose_name': 'historical abonnement restauration',
                        'verbose_name_plural': 'historical abonnements restauration',
                        'db_table': 'inscriptions_historicalmealsubscription',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='MealSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weekdays', models.JSONField(default=list, validators=[inscriptions.models.activities.validate_weekdays], verbose_name='jours')),
                        ('active', models.BooleanField(default=True, verbose_name='en cours')),
                        ('applies_from', models.DateField(help_text='Premier jour encore modifiable sous le délai de la cantine.', verbose_name='appliqué à partir du')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                        ('enrolment', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='meal_subscription', to='inscriptions.enrolment', verbose_name='inscription')),
                        ('updated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modifié par')),
                    ],
                    options={
                        'verbose_name': 'abonnement restauration',
                        'verbose_name_plural': 'abonnements restauration',
                        'db_table': 'inscriptions_mealsubscription',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
