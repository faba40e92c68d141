from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from familles.second_factor import reset_second_factor


class Command(BaseCommand):
    help = ("Réinitialise la double authentification d’un compte de l’équipe qui a perdu son "
            "téléphone : il en enregistrera un nouveau à sa prochaine connexion.")

    def add_arguments(self, parser):
        parser.add_argument("email", help="adresse e-mail du compte de l’équipe")

    def handle(self, *args, email, **options):
        try:
            removed = reset_second_factor(email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        when = timezone.localtime().strftime("%d/%m/%Y %H:%M:%S")
        self.stdout.write(self.style.SUCCESS(
            f"{when}\u00a0: double authentification de {email.strip().lower()} réinitialisée "
            f"({removed} élément(s) supprimé(s)). À sa prochaine connexion, la personne "
            "enregistrera une nouvelle application d’authentification."))
