from django.core.management.base import BaseCommand

from portail.demo import ADMIN_EMAIL, DEMO_TOTP_SECRET, STAFF_EMAIL, totp_code


class Command(BaseCommand):
    help = ("Affiche le code de double authentification du moment des comptes de démonstration "
            "de l’équipe (calculé depuis la clé publique de la démo, pour aucun autre compte).")

    def handle(self, *args, **options):
        self.stdout.write(f"{totp_code(DEMO_TOTP_SECRET)} (valable 30\u00a0secondes, pour "
                          f"{STAFF_EMAIL} et {ADMIN_EMAIL})")
