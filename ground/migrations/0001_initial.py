"""The outbox moves from portail/ (now the roof) to the ground: the table, its rows and its
permissions stay; only Django's record of which app owns the model changes."""

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    # The permissions given to groups (the staff's « view outbox ») hang on this content type.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="portail", model="outboxmessage").update(
        app_label="ground")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="ground", model="outboxmessage").update(
        app_label="portail")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    # On a new database the table is created by portail's first migrations (the outbox lived
    # there), which declare `run_before` this one: the ground names no app.

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="créé le")),
                        ("template", models.CharField(blank=True, max_length=100, verbose_name="modèle")),
                        ("to", models.JSONField(verbose_name="destinataires")),
                        ("subject", models.CharField(max_length=255, verbose_name="objet")),
                        ("content", models.CharField(choices=[("ordinary", "ordinaire"), ("secret", "lien ou code personnel"), ("health", "données de santé")], default="ordinary", max_length=10, verbose_name="contenu")),
                        ("body_text", models.TextField(blank=True, verbose_name="texte")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML")),
                        ("sealed_body", models.TextField(blank=True, verbose_name="contenu scellé")),
                        ("from_email", models.CharField(max_length=255, verbose_name="expéditeur")),
                        ("reply_to", models.CharField(blank=True, max_length=255, verbose_name="répondre à")),
                        ("status", models.CharField(choices=[("pending", "À envoyer"), ("sent", "Envoyé"), ("failed", "Abandonné après trop d'échecs")], default="pending", max_length=10, verbose_name="état")),
                        ("attempts", models.PositiveIntegerField(default=0, verbose_name="tentatives")),
                        ("last_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="dernière tentative")),
                        ("last_error", models.TextField(blank=True, verbose_name="dernière erreur")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="envoyé le")),
                    ],
                    options={
                        "verbose_name": "message sortant",
                        "verbose_name_plural": "boîte d'envoi",
                        "db_table": "portail_outboxmessage",
                        "ordering": ["-created_at"],
                        "indexes": [models.Index(fields=["status", "created_at"], name="outbox_status_created")],
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(models.Q(("status", "sent"), _negated=True), ("sent_at__isnull", False), _connector="OR"), name="outbox_sent_has_date"),
                            models.CheckConstraint(condition=models.Q(models.Q(("content", "ordinary"), ("sealed_body", "")), models.Q(models.Q(("content", "ordinary"), _negated=True), ("body_html", ""), ("body_text", "")), _connector="OR"), name="outbox_confidential_body_sealed"),
                            models.CheckConstraint(condition=models.Q(models.Q(("content", "secret"), _negated=True), models.Q(("status", "pending"), models.Q(("sealed_body", ""), _negated=True)), models.Q(models.Q(("status", "pending"), _negated=True), ("sealed_body", "")), _connector="OR"), name="outbox_secret_only_while_pending"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
