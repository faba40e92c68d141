# Messages to families (issue 25): the message, its audience, one delivery per family.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('familles', '0005_seal_authenticator_secrets'),
        ('inscriptions', '0006_schoolyear_published'),
        ('portail', '0003_outbox_moves_to_ground'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('closure', 'Fermeture'), ('strike', 'Grève'), ('menu', 'Menus'), ('campaign', "Campagne d'inscription"), ('information', 'Information')], default='information', max_length=15, verbose_name='type de message')),
                ('subject', models.CharField(max_length=150, verbose_name='objet')),
                ('body', models.TextField(verbose_name='texte du message')),
                ('audience', models.CharField(choices=[('activity', 'Les familles inscrites à une activité'), ('site', "Les familles inscrites dans un lieu d'accueil"), ('day', 'Les familles ayant une réservation un jour donné'), ('school', "Les familles d'une école"), ('unpaid', 'Les familles ayant une facture impayée'), ('files_pending', "Les familles dont un dossier n'est pas transmis")], max_length=15, verbose_name='destinataires')),
                ('day', models.DateField(blank=True, null=True, verbose_name='jour')),
                ('school', models.CharField(blank=True, max_length=150, verbose_name='école')),
                ('state', models.CharField(choices=[('draft', 'Brouillon'), ('sending', "En cours d'envoi"), ('sent', 'Envoyé')], default='draft', editable=False, max_length=10, verbose_name='état')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='rédigé le')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                ('sent_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='envoyé le')),
                ('written_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='tout écrit le')),
                ('activity', models.ForeignKey(blank=True, help_text='Obligatoire pour « une activité » ; facultative pour « un jour donné » (sinon toutes les activités de ce jour).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inscriptions.activity', verbose_name='activité')),
                ('created_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='rédigé par')),
                ('school_year', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inscriptions.schoolyear', verbose_name='année scolaire du dossier')),
                ('sent_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='envoyé par')),
                ('site', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inscriptions.site', verbose_name="lieu d'accueil")),
            ],
            options={
                'verbose_name': 'message aux familles',
                'verbose_name_plural': 'messages aux familles',
                'ordering': ['-created_at', '-pk'],
                'permissions': [('send_message', 'Peut envoyer un message aux familles')],
            },
        ),
        migrations.CreateModel(
            name='MessageDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                ('written_at', models.DateTimeField(blank=True, null=True, verbose_name='écrit le')),
                ('emails', models.PositiveSmallIntegerField(default=0, verbose_name='e-mails écrits')),
                ('letter', models.BooleanField(default=False, verbose_name='courrier à imprimer')),
                ('family', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='familles.family', verbose_name='famille')),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='portail.message', verbose_name='message')),
            ],
            options={
                'verbose_name': 'envoi à une famille',
                'verbose_name_plural': 'envois aux familles',
                'ordering': ['message', 'pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'activity'), _negated=True), ('activity__isnull', False), _connector='OR'), name='message_activity_audience_has_activity'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'site'), _negated=True), ('site__isnull', False), _connector='OR'), name='message_site_audience_has_site'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'day'), _negated=True), ('day__isnull', False), _connector='OR'), name='message_day_audience_has_day'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'school'), _negated=True), models.Q(('school', ''), _negated=True), _connector='OR'), name='message_school_audience_has_school'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'files_pending'), _negated=True), ('school_year__isnull', False), _connector='OR'), name='message_files_audience_has_year'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(('state', 'draft'), models.Q(('sent_at__isnull', False), ('sent_by__isnull', False)), _connector='OR'), name='message_sent_has_date_and_author'),
        ),
        migrations.AddIndex(
            model_name='messagedelivery',
            index=models.Index(fields=['family', 'message'], name='messagedelivery_family'),
        ),
        migrations.AddConstraint(
            model_name='messagedelivery',
            constraint=models.UniqueConstraint(fields=('message', 'family'), name='messagedelivery_once_per_family'),
        ),
    ]
