from django.core.management.base import BaseCommand

from facturation import providers
from portail.demo import DEMO_TOTP_SECRET, seed


class Command(BaseCommand):
    help = "Crée (une seule fois) la commune de démonstration et affiche les identifiants."

    def add_arguments(self, parser):
        # `make run` passes its HOST and PORT: the address printed is the one it serves.
        parser.add_argument("--address", default="http://127.0.0.1:8000",
                            help="Adresse où le portail sera servi (affichée).")

    def handle(self, *args, **options):
        logins = seed()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            f"Portail Famille de démonstration : {options['address']}"))
        self.stdout.write("Identifiants de démonstration (mot de passe identique pour tous) :")
        for label, email, password in logins:
            self.stdout.write(f"  {label:<40} {email:<28} {password}")
        self.stdout.write(
            "Comptes de l'équipe\u00a0: la gestion demande aussi un code de double "
            f"authentification. Ajoutez la clé {DEMO_TOTP_SECRET} à une application "
            "d'authentification, ou obtenez le code du moment avec\u00a0: "
            "python manage.py demo_code")
        self.stdout.write("Les e-mails envoyés s'affichent dans ce terminal (le récapitulatif "
                          "des réservations aussitôt après chaque action\u00a0: sans beat, la "
                          "démo n'attend pas les minutes de calme des «\u00a0Paramètres de la "
                          "commune\u00a0»).")
        active = providers.active()
        if active is not None and active.name == "demo":
            self.stdout.write(
                "Paiement en ligne en mode démonstration (sans banque ni argent)\u00a0: "
                "Famille Martin → «\u00a0Mes factures\u00a0» → «\u00a0Payer\u00a0».")
        self.stdout.write(
            "Au guichet (gestion)\u00a0: la famille Kerjean, sans adresse e-mail, reçoit des "
            "courriers à imprimer («\u00a0Familles\u00a0» → sa fiche)\u00a0; la grille des "
            "réservations est dans «\u00a0Réservations\u00a0»\u00a0; les messages aux familles "
            "dans «\u00a0Portail\u00a0».")
        self.stdout.write(
            "Attribution sur vœux («\u00a0Stage nature du mercredi\u00a0»)\u00a0: la 1re "
            "session est publiée avec sa graine (martin@demo.example\u00a0: «\u00a0Réservations"
            "\u00a0» → «\u00a0Vœux et attributions\u00a0», résultat et renoncement)\u00a0; les "
            "vœux de la 3e session sont ouverts (faites-en)\u00a0; ceux de la 2e viennent de "
            "se clore\u00a0: l'agent lance le tirage puis le publie dans la gestion "
            "(«\u00a0Attributions\u00a0»).")
        self.stdout.write("")
