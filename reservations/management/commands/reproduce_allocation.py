"""Recompute a published allocation from its frozen data and revealed seed (docs/allocation.md,
« Vérifier le tirage »): prints the result's canonical JSON and its SHA-256, and says whether
both match what was published. With --inputs and --seed it needs no database row: anyone
holding the published files can run it."""

import json

from django.core.management.base import BaseCommand, CommandError

from reservations import draw
from reservations.models import Allocation


class Command(BaseCommand):
    help = ("Refait le calcul d'une attribution publiée à partir de ses données figées et de la "
            "graine révélée, et vérifie qu'il donne exactement le résultat publié.")

    def add_arguments(self, parser):
        parser.add_argument("period", nargs="?", type=int,
                            help="numéro de la période de réservation (attribution publiée)")
        parser.add_argument("--inputs", help="fichier JSON des données figées publiées")
        parser.add_argument("--seed", help="graine révélée (64 caractères hexadécimaux)")
        parser.add_argument("--digest-only", action="store_true",
                            help="n'affiche que les empreintes, pas le JSON du résultat")

    def handle(self, *args, period=None, inputs=None, seed=None, digest_only=False,
               **options):
        expected = commitment = None
        if inputs:
            if not seed:
                raise CommandError("Avec --inputs, donnez aussi --seed.")
            with open(inputs, encoding="utf-8") as source:
                data = json.load(source)
        elif period is not None:
            allocation = Allocation.objects.select_related("period").filter(
                period_id=period, state=Allocation.State.PUBLISHED).first()
            if allocation is None:
                raise CommandError(f"La période {period} n'a pas d'attribution publiée.")
            data, seed = allocation.inputs, allocation.seed
            expected, commitment = allocation.result_digest, allocation.period.draw_commitment
            if draw.digest(data) != allocation.inputs_digest:
                raise CommandError("Les données figées ne correspondent plus à leur empreinte.")
        else:
            raise CommandError("Donnez une période, ou --inputs et --seed.")
        try:
            text, found = draw.reproduce(data, seed)
        except (KeyError, TypeError, ValueError) as error:
            raise CommandError(f"Données ou graine illisibles : {error}") from error
        if not digest_only:
            self.stdout.write(text)
        self.stdout.write(f"SHA-256 des données figées : {draw.digest(data)}")
        self.stdout.write(f"Empreinte annoncée de la graine : {draw.commitment(seed)}")
        self.stdout.write(f"SHA-256 du résultat : {found}")
        if commitment is not None and draw.commitment(seed) != commitment:
            raise CommandError("La graine ne correspond pas à l'empreinte annoncée à "
                               "l'ouverture des vœux.")
        if expected is not None:
            if found != expected:
                raise CommandError(f"Résultat différent du résultat publié ({expected}).")
            self.stdout.write(self.style.SUCCESS("Résultat identique au résultat publié."))
