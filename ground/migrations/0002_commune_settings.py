"""The commune's settings become data staff edit (issue 25). The row is created once; on a
deployment that set them in its environment (or .env, which the settings load into it), the
values found there are taken, so that nothing changes on upgrade. After this migration the
settings no longer read those variables: they can leave .env."""

import os

import django.core.validators
import django.db.models.deletion
import ground.models
import ground.validators
import simple_history.models
from django.conf import settings
from django.db import migrations, models


# Variable -> (field, how the settings read it).
FROM_ENVIRONMENT = {
    "PORTAIL_COMMUNE_NAME": ("name", str),
    "PORTAIL_SERVICE_NAME": ("service_name", str),
    "PORTAIL_SERVICE_PHONE": ("service_phone", str),
    "PORTAIL_SERVICE_EMAIL": ("service_email", str),
    "PORTAIL_POSTAL_ADDRESS": ("postal_address", str),
    "PORTAIL_SCHOOL_HOLIDAY_ZONE": ("school_holiday_zone", str.upper),
    "PORTAIL_COMMUNE_POSTAL_CODES": (
        "postal_codes", lambda v: ", ".join(c.strip() for c in v.split(",") if c.strip())),
    "PORTAIL_NO_QF_BRACKET": ("no_qf_bracket", str),
    "PORTAIL_INVOICE_DUE_DAYS": ("invoice_due_days", int),
    "PORTAIL_INVOICE_REMINDER_DAYS": ("invoice_reminder_days", int),
    "PORTAIL_JUSTIFICATION_HOURS": ("justification_hours", int),
    "PORTAIL_REREGISTRATION_REMINDER_DAYS": ("reregistration_reminder_days", int),
    "PORTAIL_DOCUMENT_EXPIRY_NOTICE_DAYS": ("document_expiry_notice_days", int),
    "PORTAIL_CAF_CARE_HOURS": ("caf_care_hours", str),
    "PORTAIL_REGIE_SIRET": ("regie_siret", str),
}


def create_from_environment(apps, schema_editor):
    CommuneSettings = apps.get_model("ground", "CommuneSettings")
    values = {}
    for variable, (field, read) in FROM_ENVIRONMENT.items():
        raw = os.environ.get(variable, "").strip()
        if raw:
            values[field] = read(raw)
    CommuneSettings.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults=values)


class Migration(migrations.Migration):

    dependencies = [
        ('ground', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CommuneSettings',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('name', models.CharField(default='Kerbrume', help_text='Sur chaque page, dans les e-mails et les PDF.', max_length=100, verbose_name='nom de la commune')),
                ('service_name', models.CharField(default='Éducation Jeunesse', help_text='Le service qui répond aux familles ; aussi le nom de la régie.', max_length=100, verbose_name='nom du service')),
                ('service_phone', models.CharField(default='02 97 00 00 00', help_text='Sur chaque page.', max_length=30, validators=[ground.validators.validate_phone], verbose_name='téléphone du service')),
                ('service_email', models.EmailField(default='espace-famille@kerbrume.example', help_text='Sur chaque page ; les familles qui répondent à un e-mail écrivent ici ; les alertes de paiement y arrivent.', max_length=254, verbose_name='e-mail du service')),
                ('postal_address', models.CharField(default='Mairie, 1 place de la Mairie, 56000 Kerbrume', max_length=255, verbose_name='adresse postale du service')),
                ('postal_codes', models.CharField(default='56000', help_text='Séparés par des virgules (ex. : 56000, 56100). Les familles domiciliées ailleurs paient le tarif hors commune.', max_length=200, validators=[ground.validators.validate_postal_codes], verbose_name='codes postaux de la commune')),
                ('school_holiday_zone', models.CharField(choices=[('A', 'Zone A'), ('B', 'Zone B'), ('C', 'Zone C')], default='B', help_text='Fixe les jours de vacances du calendrier des activités.', max_length=1, verbose_name='zone de vacances scolaires')),
                ('justification_hours', models.PositiveSmallIntegerField(default=48, help_text="Combien d'heures après la fin d'une journée réservée la famille peut encore justifier l'absence.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre d'heures d'au moins 1.")], verbose_name="délai de justification d'une absence (heures)")),
                ('invoice_due_days', models.PositiveSmallIntegerField(default=30, help_text="Jours entre l'émission d'une facture et sa date limite de paiement.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='échéance des factures (jours)')),
                ('invoice_reminder_days', models.PositiveSmallIntegerField(default=15, help_text="Jours entre deux relances d'une facture échue et impayée.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='intervalle des relances (jours)')),
                ('reregistration_reminder_days', models.PositiveSmallIntegerField(default=7, help_text='Les familles dont un dossier manque sont rappelées ce nombre de jours avant la fin de la campagne.', validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='rappel de réinscription (jours avant la clôture)')),
                ('document_expiry_notice_days', models.PositiveSmallIntegerField(default=30, help_text="La famille est prévenue ce nombre de jours avant la fin de validité d'une pièce justificative.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name="avis d'expiration des pièces (jours avant)")),
                ('no_qf_bracket', models.CharField(choices=[('top', 'la tranche la plus haute'), ('bottom', 'la tranche la plus basse')], default='top', help_text='La tranche que paie une famille sans quotient familial valide.', max_length=6, verbose_name='tranche sans quotient familial')),
                ('payment_methods', models.JSONField(blank=True, default=ground.models.offered_by_default, help_text="Ceux que les factures et le portail proposent aux familles. Le prélèvement peut être noté mais n'a pas encore d'effet.", validators=[ground.validators.validate_payment_methods], verbose_name='moyens de paiement proposés')),
                ('regie_iban', models.CharField(blank=True, help_text='Imprimé sur les factures pour les virements (ex. : FR76 3000 1007 9412 3456 7890 185).', max_length=42, validators=[ground.validators.validate_iban], verbose_name='IBAN de la régie')),
                ('sepa_creditor_id', models.CharField(blank=True, help_text='Attribué par la Banque de France, pour le prélèvement (ex. : FR72ZZZ123456).', max_length=40, validators=[ground.validators.validate_creditor_id], verbose_name='identifiant créancier SEPA (ICS)')),
                ('regie_siret', models.CharField(blank=True, help_text='Imprimé sur les attestations fiscales quand il est indiqué.', max_length=20, validators=[ground.validators.validate_siret], verbose_name='SIRET de la régie')),
                ('caf_care_hours', models.CharField(choices=[('real', 'heures réelles (arrivée et départ notés au registre)'), ('units', 'durée des unités (chaque présence compte la durée de son unité)')], default='real', help_text="Aussi sur les attestations de présence. En heures réelles, la durée de l'unité compte quand une heure manque au registre.", max_length=5, verbose_name='heures de périscolaire déclarées à la CAF')),
            ],
            options={
                'verbose_name': 'paramètres de la commune',
                'verbose_name_plural': 'paramètres de la commune',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='commune_settings_singleton')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCommuneSettings',
            fields=[
                ('id', models.PositiveSmallIntegerField(db_index=True, default=1, editable=False)),
                ('name', models.CharField(default='Kerbrume', help_text='Sur chaque page, dans les e-mails et les PDF.', max_length=100, verbose_name='nom de la commune')),
                ('service_name', models.CharField(default='Éducation Jeunesse', help_text='Le service qui répond aux familles ; aussi le nom de la régie.', max_length=100, verbose_name='nom du service')),
                ('service_phone', models.CharField(default='02 97 00 00 00', help_text='Sur chaque page.', max_length=30, validators=[ground.validators.validate_phone], verbose_name='téléphone du service')),
                ('service_email', models.EmailField(default='espace-famille@kerbrume.example', help_text='Sur chaque page ; les familles qui répondent à un e-mail écrivent ici ; les alertes de paiement y arrivent.', max_length=254, verbose_name='e-mail du service')),
                ('postal_address', models.CharField(default='Mairie, 1 place de la Mairie, 56000 Kerbrume', max_length=255, verbose_name='adresse postale du service')),
                ('postal_codes', models.CharField(default='56000', help_text='Séparés par des virgules (ex. : 56000, 56100). Les familles domiciliées ailleurs paient le tarif hors commune.', max_length=200, validators=[ground.validators.validate_postal_codes], verbose_name='codes postaux de la commune')),
                ('school_holiday_zone', models.CharField(choices=[('A', 'Zone A'), ('B', 'Zone B'), ('C', 'Zone C')], default='B', help_text='Fixe les jours de vacances du calendrier des activités.', max_length=1, verbose_name='zone de vacances scolaires')),
                ('justification_hours', models.PositiveSmallIntegerField(default=48, help_text="Combien d'heures après la fin d'une journée réservée la famille peut encore justifier l'absence.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre d'heures d'au moins 1.")], verbose_name="délai de justification d'une absence (heures)")),
                ('invoice_due_days', models.PositiveSmallIntegerField(default=30, help_text="Jours entre l'émission d'une facture et sa date limite de paiement.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='échéance des factures (jours)')),
                ('invoice_reminder_days', models.PositiveSmallIntegerField(default=15, help_text="Jours entre deux relances d'une facture échue et impayée.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='intervalle des relances (jours)')),
                ('reregistration_reminder_days', models.PositiveSmallIntegerField(default=7, help_text='Les familles dont un dossier manque sont rappelées ce nombre de jours avant la fin de la campagne.', validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name='rappel de réinscription (jours avant la clôture)')),
                ('document_expiry_notice_days', models.PositiveSmallIntegerField(default=30, help_text="La famille est prévenue ce nombre de jours avant la fin de validité d'une pièce justificative.", validators=[django.core.validators.MinValueValidator(1, "Indiquez un nombre de jours d'au moins 1.")], verbose_name="avis d'expiration des pièces (jours avant)")),
                ('no_qf_bracket', models.CharField(choices=[('top', 'la tranche la plus haute'), ('bottom', 'la tranche la plus basse')], default='top', help_text='La tranche que paie une famille sans quotient familial valide.', max_length=6, verbose_name='tranche sans quotient familial')),
                ('payment_methods', models.JSONField(blank=True, default=ground.models.offered_by_default, help_text="Ceux que les factures et le portail proposent aux familles. Le prélèvement peut être noté mais n'a pas encore d'effet.", validators=[ground.validators.validate_payment_methods], verbose_name='moyens de paiement proposés')),
                ('regie_iban', models.CharField(blank=True, help_text='Imprimé sur les factures pour les virements (ex. : FR76 3000 1007 9412 3456 7890 185).', max_length=42, validators=[ground.validators.validate_iban], verbose_name='IBAN de la régie')),
                ('sepa_creditor_id', models.CharField(blank=True, help_text='Attribué par la Banque de France, pour le prélèvement (ex. : FR72ZZZ123456).', max_length=40, validators=[ground.validators.validate_creditor_id], verbose_name='identifiant créancier SEPA (ICS)')),
                ('regie_siret', models.CharField(blank=True, help_text='Imprimé sur les attestations fiscales quand il est indiqué.', max_length=20, validators=[ground.validators.validate_siret], verbose_name='SIRET de la régie')),
                ('caf_care_hours', models.CharField(choices=[('real', 'heures réelles (arrivée et départ notés au registre)'), ('units', 'durée des unités (chaque présence compte la durée de son unité)')], default='real', help_text="Aussi sur les attestations de présence. En heures réelles, la durée de l'unité compte quand une heure manque au registre.", max_length=5, verbose_name='heures de périscolaire déclarées à la CAF')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historique des paramètres de la commune',
                'verbose_name_plural': 'historical paramètres de la commune',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(create_from_environment, migrations.RunPython.noop),
    ]
