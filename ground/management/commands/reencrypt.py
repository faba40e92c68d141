"""`manage.py reencrypt`: after a key rotation (docs/donnees-personnelles.md, « Chiffrement au
repos »), every encrypted column and vault file rewritten under the first key of
PORTAIL_FIELD_KEY, so that the old key can be dropped; also encrypts what an older version
left in clear. Batches of rows, each in its own transaction; safe to interrupt and rerun."""

from django.core.management.base import BaseCommand

from ground.reencrypt import reencrypt_everything


class Command(BaseCommand):
    help = ("Rechiffre les données de santé, les IBAN et les fichiers avec la première clé "
            "de PORTAIL_FIELD_KEY.")

    def handle(self, *args, **options):
        values, files = reencrypt_everything(self.stdout.write)
        self.stdout.write(self.style.SUCCESS(
            f"Rechiffré : {values} valeurs, {files} fichiers."))
