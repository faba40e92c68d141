"""The ways a family can really pay, and the sentences that say them.

Two parties decide: the commune (its settings: the methods it offers, the régie's IBAN) and the
operator (an online provider configured: facturation/providers). Card payment is offered
only when both allow it; direct debit is named only to a household with an active mandate,
when the commune offers it.
Every text that names a way to pay — « Mes factures », the payment page, the « Votre facture »
and reminder e-mails, the invoice PDF — is written from `available()`, so none promises a
« Payer » button that does not exist."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ground.commune import commune

from . import direct_debit, providers
from .models import Payment

# The methods paid to the service, in the order sentences name them.
COUNTER_WORDS = ((Payment.Method.CHEQUE, _lazy("chèque")), (Payment.Method.CASH, _lazy("espèces")),
                 (Payment.Method.CESU, _lazy("CESU")), (Payment.Method.TRANSFER, _lazy("virement")))


def or_list(words: list[str]) -> str:
    """« chèque, espèces ou virement »."""
    if len(words) == 1:
        return words[0]
    return _("%(first)s ou %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


@dataclass(frozen=True)
class PaymentWays:
    online: bool  # « Payer en ligne » works: card offered by the commune, a provider configured
    card_offered: bool  # the commune offers card payment (online may still be unconfigured)
    cheque: bool
    cash: bool
    cesu: bool
    transfer: bool
    iban: str  # the régie's IBAN as banks print it; empty when the settings have none
    # Direct debit: the commune offers it and the household has an active mandate.
    direct_debit: bool = False
    provider: str = ""  # the active online provider's name (facturation/providers)

    @property
    def online_words(self) -> str:
        """How « Payer » pays, as the active provider really takes it."""
        if self.provider == "payfip":
            return _("par carte bancaire ou prélèvement unique (PayFiP)")
        if self.provider == "demo":
            return _("en mode démonstration (aucun argent n'est débité)")
        return _("par carte bancaire")

    @property
    def counter_words(self) -> str:
        """The ways to pay the service (« chèque, espèces ou virement »); empty if none."""
        words = [str(word) for method, word in COUNTER_WORDS if getattr(self, method)]
        return or_list(words) if words else ""

    @property
    def summary(self) -> str:
        """One sentence for a page or an e-mail: every way, and only those, that works."""
        text = self._other_ways()
        if not self.direct_debit:
            return text or _("Pour payer, renseignez-vous auprès du service.")
        debit = _("Vos factures sont payées par prélèvement automatique, à la date annoncée "
                  "sur chacune (avant cette date, vous pouvez aussi les régler vous-même).")
        return f"{debit} {text}" if text else debit

    def _other_ways(self) -> str:
        ways = self.counter_words
        if self.online and ways:
            text = _("Vous pouvez payer en ligne %(how)s depuis « Mes factures » (bouton "
                     "« Payer »), ou par %(ways)s auprès du service.") % {
                "how": self.online_words, "ways": ways}
        elif self.online:
            text = _("Vous pouvez payer en ligne %(how)s depuis « Mes factures » (bouton "
                     "« Payer »).") % {"how": self.online_words}
        elif ways:
            text = _("Vous pouvez payer par %(ways)s auprès du service.") % {"ways": ways}
        else:
            return ""
        if self.transfer:
            text += " " + self.transfer_sentence
        return text

    @property
    def transfer_sentence(self) -> str:
        if self.iban:
            return _("Pour un virement : IBAN %(iban)s, avec le numéro de la facture en "
                     "référence.") % {"iban": self.iban}
        return _("Pour un virement, demandez les coordonnées bancaires au service.")

    @property
    def not_configured(self) -> str:
        """What the family reads where « Payer » would be."""
        ways = self.counter_words
        if not self.card_offered:
            if not ways:
                return _("Le paiement en ligne n'est pas proposé : renseignez-vous auprès du "
                         "service.")
            return _("Le paiement en ligne n'est pas proposé : payez par %(ways)s auprès du "
                     "service.") % {"ways": ways}
        if not ways:
            return _("Le paiement en ligne n'est pas encore configuré : renseignez-vous auprès "
                     "du service.")
        return _("Le paiement en ligne n'est pas encore configuré : payez par %(ways)s auprès "
                 "du service.") % {"ways": ways}


def available(family=None) -> PaymentWays:
    """The ways to pay; for a household (`family`), direct debit too when it has a mandate."""
    town = commune()
    card = town.offers(Payment.Method.CARD)
    provider = providers.active()
    return PaymentWays(
        direct_debit=family is not None and direct_debit.offered()
        and direct_debit.active_mandate(family) is not None,
        online=card and provider is not None, card_offered=card,
        provider=provider.name if card and provider is not None else "",
        cheque=town.offers(Payment.Method.CHEQUE), cash=town.offers(Payment.Method.CASH),
        cesu=town.offers(Payment.Method.CESU), transfer=town.offers(Payment.Method.TRANSFER),
        iban=town.iban_display if town.regie_iban else "")


def online_payment_available() -> bool:
    """Whether « Payer en ligne » may be offered."""
    return available().online


def not_configured_message() -> str:
    return available().not_configured


def counter_ways() -> str:
    return available().counter_words
