from django.core.management.base import BaseCommand

from portail.demo import seed


class Command(BaseCommand):
    help = "Crée (une seule fois) la commune de démonstration et affiche les identifiants."

    def handle(self, *args, **options):
        logins = seed()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Portail Famille de démonstration : http://127.0.0.1:8000"))
        self.stdout.write("Identifiants de démonstration (mot de passe identique pour tous) :")
        for label, email, password in logins:
            self.stdout.write(f"  {label:<40} {email:<28} {password}")
        self.stdout.write("Les e-mails envoyés s'affichent dans ce terminal.")
        self.stdout.write("")
