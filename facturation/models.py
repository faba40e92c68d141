"""Tariffs by QF bracket, billing runs, invoices and credit notes, payments.

Money is integers of cents. An issued invoice never changes and is never deleted: what a
family owes is derived (total − payments − credit notes), never stored in a mutable field."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from familles.models import Child, Family, private_storage
from inscriptions.models import Activity, ActivityUnit


def euros(cents: int) -> str:
    """1234 → "12,34 €", 123456 → "1 234,56 €" (French writing, never a float)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d} €"


class IssuedOnce:
    """An issued document (invoice, attestation) never changes nor goes: what the database
    holds decides, so that a stale copy cannot write over it. Its PDF and stamps are written
    with .update(), outside this guard. A model says why in its own words."""

    issued_change_refused = issued_delete_refused = ""

    def save(self, *args, **kwargs):
        if not self._state.adding and type(self).objects.filter(
                pk=self.pk, state="issued").exists():
            raise ValidationError(self.issued_change_refused)
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.state == "issued":
            raise ValidationError(self.issued_delete_refused)
        return super().delete(*args, **kwargs)


class BillingRule(models.Model):
    """What an activity bills besides presence (Publik's check types)."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE,
                                    related_name="billing_rule", verbose_name=_("activité"))
    bill_unjustified_absence = models.BooleanField(
        _("facturer l'absence non justifiée"), default=True)
    bill_late_cancellation = models.BooleanField(
        _("facturer l'annulation hors délai"), default=True)
    # A month is billed once it has ended (its days held, its registers taken, its absences
    # justified); an activity paid up front (a subscription, a stay) may be billed during it.
    bill_in_advance = models.BooleanField(
        _("facturation à l'avance"), default=False,
        help_text=_("Permet de facturer le mois en cours avant sa fin, pour cette activité "
                    "seulement (les autres attendent la fin du mois). Ce qui change ensuite "
                    "est corrigé par un avoir et une facture corrigée."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("règle de facturation")
        verbose_name_plural = _("règles de facturation")

    def __str__(self):
        return str(self.activity)


class Tariff(models.Model):
    """The prices of a unit from a date, by QF bracket (a new tariff from a later date
    replaces it from that date)."""

    unit = models.ForeignKey(ActivityUnit, on_delete=models.PROTECT, related_name="tariffs",
                             verbose_name=_("unité"))
    valid_from = models.DateField(_("applicable à partir du"))
    sibling_reduction_percent = models.PositiveSmallIntegerField(
        _("réduction fratrie (%)"), default=0,
        help_text=_("Pour chaque enfant après l'aîné de la même famille, sur cette unité."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["unit", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "valid_from"], name="tariff_unique_start"),
            models.CheckConstraint(condition=Q(sibling_reduction_percent__lte=100),
                                   name="tariff_reduction_is_a_percentage"),
        ]

    def __str__(self):
        return _("%(unit)s (%(activity)s) à partir du %(day)s") % {
            "unit": self.unit, "activity": self.unit.activity.name,
            "day": f"{self.valid_from:%d/%m/%Y}"}


class TariffBracket(models.Model):
    """One QF bracket: up to `qf_max` euros (empty: no upper bound, the top bracket)."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="brackets",
                               verbose_name=_("tarif"))
    qf_max = models.PositiveIntegerField(_("QF jusqu'à (€)"), null=True, blank=True,
                                         help_text=_("Vide : tranche la plus haute."))
    price_cents = models.PositiveIntegerField(_("prix commune (centimes)"))
    outside_price_cents = models.PositiveIntegerField(_("prix hors commune (centimes)"))

    class Meta:
        verbose_name = _("tranche de QF")
        verbose_name_plural = _("tranches de QF")
        ordering = ["tariff", F("qf_max").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "qf_max"], name="bracket_unique_bound"),
            models.UniqueConstraint(fields=["tariff"], condition=Q(qf_max__isnull=True),
                                    name="bracket_one_top"),
        ]

    def __str__(self):
        bound = _("au-delà") if self.qf_max is None else _("jusqu'à %(qf)s €") % {
            "qf": self.qf_max}
        return f"{bound} : {euros(self.price_cents)}"


class BillingRun(models.Model):
    """A month's invoicing: drafted, checked by staff, then issued. A month can be run again
    after issue: what changed becomes a credit note and a corrective invoice."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon à vérifier")
        ISSUED = "issued", _("Émise")

    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois facturé."))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    prepared_at = models.DateTimeField(_("préparée le"))
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("préparée par"))
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("émise par"))

    class Meta:
        verbose_name = _("facturation mensuelle")
        verbose_name_plural = _("facturations mensuelles")
        ordering = ["-month", "-prepared_at"]
        permissions = [("issue_billingrun", _("Peut émettre les factures"))]
        constraints = [
            models.UniqueConstraint(fields=["month"], condition=Q(state="draft"),
                                    name="billingrun_one_draft_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="billingrun_month_first"),
        ]

    def __str__(self):
        return _("Facturation de %(month)s (%(state)s)") % {
            "month": f"{self.month:%m/%Y}", "state": self.get_state_display()}


class NumberSequence(models.Model):
    """Gap-free numbering: one row per kind and year, locked while a number is taken."""

    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="sequence_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last}"


def _sum_of(model, field="invoice", **filters) -> Coalesce:
    rows = model.objects.filter(**{field: OuterRef("pk")}, **filters).order_by().values(
        field).annotate(s=Sum("amount_cents")).values("s")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class InvoiceQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(state=Invoice.State.ISSUED).exists():
            raise ValidationError(_("Une facture émise ne se supprime jamais : faites un avoir."))
        return super().delete()

    def in_debit_batch(self):
        """The invoices a collection file debits (a live item, not rejected): no other
        payment online (facturation/direct_debit.py)."""
        return self.filter(debit_items__rejected_at__isnull=True,
                           debit_items__isnull=False).distinct()

    def with_balances(self):
        """Annotate, in the same query, in cents (as `Invoice.balance_cents()` computes it):
        - `paid_sum`: what was paid on the invoice and stays there (a payment flagged for
          refund pays nothing; one carried to the corrective invoice counts there);
        - `credited_sum`: its credit notes;
        - `balance`: what the family still owes on it (negative: paid too much)."""
        return self.annotate(
            received_sum=_sum_of(Payment, flagged_for_refund=False),
            carried_sum=_sum_of(Payment, "carried_from"),
            credited_sum=_sum_of(CreditNote),
        ).annotate(paid_sum=F("received_sum") - F("carried_sum")).annotate(
            balance=F("total_cents") - F("paid_sum") - F("credited_sum"))


class Invoice(IssuedOnce, models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émise")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices",
                            verbose_name=_("facturation"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="invoices",
                               verbose_name=_("famille"))
    month = models.DateField(_("mois"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    number = models.CharField(_("numéro"), max_length=20, unique=True, null=True, blank=True)
    total_cents = models.PositiveIntegerField(_("total (centimes)"), default=0)
    # The invoice this one replaces (a change after issue: credit note + corrective invoice).
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections", verbose_name=_("corrige"))
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    due_date = models.DateField(_("à payer avant le"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="factures/",
                           blank=True)
    reminder_sent_at = models.DateTimeField(_("relance envoyée le"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-month", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | (Q(number__isnull=False)
                                              & Q(issued_at__isnull=False)
                                              & Q(due_date__isnull=False)),
                name="invoice_issued_is_numbered"),
        ]

    def __str__(self):
        return self.number or _("Facture brouillon – %(family)s – %(month)s") % {
            "family": self.family, "month": f"{self.month:%m/%Y}"}

    issued_change_refused = _("Une facture émise ne change jamais : faites un avoir.")
    issued_delete_refused = _("Une facture émise ne se supprime jamais : faites un avoir.")

    @property
    def total(self) -> str:
        return euros(self.total_cents)

    def paid_cents(self) -> int:
        return self.payments.filter(flagged_for_refund=False).aggregate(
            s=Sum("amount_cents"))["s"] or 0

    def credited_cents(self) -> int:
        return self.credit_notes.aggregate(s=Sum("amount_cents"))["s"] or 0

    def carried_out_cents(self) -> int:
        return self.carried_out.aggregate(s=Sum("amount_cents"))["s"] or 0

    def balance_cents(self) -> int:
        """What the family still owes on this invoice (negative: paid too much)."""
        return (self.total_cents - self.paid_cents() - self.credited_cents()
                + self.carried_out_cents())


class InvoiceLine(models.Model):
    """One child, activity and unit at one unit price, with its dates."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("facture"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("enfant"))
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("activité"))
    unit = models.ForeignKey(ActivityUnit, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unité"))
    dates = models.JSONField(_("dates"), default=list)
    quantity = models.PositiveIntegerField(_("quantité"))
    unit_price_cents = models.PositiveIntegerField(_("prix unitaire (centimes)"))
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["child__birth_date", "activity__name", "unit__position", "unit_price_cents"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents=F("quantity") * F("unit_price_cents")),
                name="invoiceline_amount_is_quantity_times_price"),
        ]

    def __str__(self):
        return f"{self.child.first_name} – {self.activity.name} – {self.unit} × {self.quantity}"


class CreditNote(models.Model):
    """Cancels all of an issued invoice (a corrective invoice then bills what is right)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes",
                                verbose_name=_("facture annulée"))
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    reason = models.CharField(_("motif"), max_length=255)
    issued_at = models.DateTimeField(_("émis le"))

    class Meta:
        verbose_name = _("avoir")
        verbose_name_plural = _("avoirs")
        ordering = ["-issued_at"]
        constraints = [
            # It cancels all of the invoice: a second one would credit the family twice.
            models.UniqueConstraint(fields=["invoice"], name="credit_note_one_per_invoice"),
        ]

    def __str__(self):
        return self.number

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Un avoir ne se supprime jamais."))


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", _("Carte bancaire en ligne")
        CASH = "cash", _("Espèces")
        CHEQUE = "cheque", _("Chèque")
        CESU = "cesu", _("CESU")
        TRANSFER = "transfer", _("Virement")
        DIRECT_DEBIT = "direct_debit", _("Prélèvement automatique")
        # PayFiP's « prélèvement unique »: one SEPA debit the parent orders online, no mandate
        # (the journal keeps it apart from card payments and from mandate debits).
        SINGLE_DEBIT = "single_debit", _("Prélèvement unique en ligne")
        CARRIED = "carried", _("Report d'un paiement d'une facture annulée")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments",
                                verbose_name=_("facture"))
    method = models.CharField(_("mode de paiement"), max_length=20, choices=Method.choices)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    received_at = models.DateTimeField(_("reçu le"))
    reference = models.CharField(_("référence"), max_length=100, blank=True,
                                 help_text=_("Numéro de chèque, de virement…"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("enregistré par"))
    # A payment of an invoice later cancelled by a credit note, carried to the corrective
    # invoice: it counts as paid there and no longer on the cancelled one.
    carried_from = models.ForeignKey("Invoice", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="carried_out",
                                     verbose_name=_("reporté de la facture"))
    # Card payments: the Stripe objects, each applied once.
    stripe_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    # A payment that arrived for an invoice already paid: kept, and to be refunded.
    flagged_for_refund = models.BooleanField(_("à rembourser"), default=False)
    flag_reason = models.CharField(_("motif du signalement"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0),
                                   name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{euros(self.amount_cents)} – {self.get_method_display()}"


class UnmatchedPayment(models.Model):
    """An online payment Stripe confirmed that no invoice can take (a draft not yet owed, an
    invoice unknown to the portal): never applied, kept here until staff refund it."""

    stripe_session_id = models.CharField(_("session Stripe"), max_length=255, unique=True)
    stripe_payment_intent = models.CharField(_("paiement Stripe"), max_length=255, blank=True)
    amount_cents = models.PositiveBigIntegerField(_("montant (centimes)"))
    currency = models.CharField(_("devise"), max_length=10, blank=True)
    # The invoice it named, while it exists (a draft may be replaced by a new preparation),
    # and the id it named, always.
    invoice = models.ForeignKey(Invoice, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("facture"))
    invoice_reference = models.CharField(_("facture demandée"), max_length=255, blank=True)
    reason = models.CharField(_("motif"), max_length=255)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    refunded = models.BooleanField(_("remboursé"), default=False,
                                   help_text=_("Cochez une fois le paiement remboursé depuis "
                                               "le tableau de bord Stripe."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("paiement en ligne non affecté")
        verbose_name_plural = _("paiements en ligne non affectés")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.stripe_session_id} – {self.reason}"


class OnlineProvider(models.TextChoices):
    """Who takes an online payment (facturation/providers); the environment says which."""

    STRIPE = "stripe", _("Stripe")
    PAYFIP = "payfip", _("PayFiP (DGFiP)")
    DEMO = "demo", _("Démonstration")


class AttemptState(models.TextChoices):
    """Where an online attempt stands (services/online.py holds the moves)."""

    CREATED = "created", _("Créée")
    PENDING = "pending", _("En attente du prestataire")
    PAID = "paid", _("Payée")
    REFUSED = "refused", _("Refusée")
    ABANDONED = "abandoned", _("Abandonnée")
    EXPIRED = "expired", _("Expirée")


class PaymentAttempt(models.Model):
    """One try at paying an invoice online, whatever the provider (facturation/providers):
    created → pending → paid, refused, abandoned or expired (docs/paiements.md).

    Only `services.online` changes it, under the invoice's row lock. Money a provider
    confirms is never lost: a paid attempt always has its `Payment`, which is flagged for
    refund (`refund_reason`) when the invoice could not take it."""

    Provider = OnlineProvider
    State = AttemptState

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="attempts",
                                verbose_name=_("facture"))
    provider = models.CharField(_("prestataire"), max_length=10, choices=Provider.choices)
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.CREATED)
    amount_cents = models.PositiveIntegerField(_("montant demandé (centimes)"))
    currency = models.CharField(_("devise"), max_length=3, default="eur")
    # The provider's id of the operation: Stripe's Checkout session, PayFiP's idOp…
    provider_reference = models.CharField(_("référence chez le prestataire"), max_length=255,
                                          blank=True)
    payer_email = models.EmailField(_("e-mail du payeur"), blank=True)
    created_at = models.DateTimeField(_("commencée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    # The provider's last word, for staff (result code, authorisation number; never a key).
    detail = models.CharField(_("réponse du prestataire"), max_length=255, blank=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="attempt", verbose_name=_("paiement"))
    refund_reason = models.CharField(_("à rembourser : motif"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("paiement en ligne (tentative)")
        verbose_name_plural = _("paiements en ligne (tentatives)")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AttemptState.values),
                                   name="attempt_state_known"),
            models.CheckConstraint(condition=Q(provider__in=OnlineProvider.values),
                                   name="attempt_provider_known"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0),
                                   name="attempt_amount_positive"),
            # Paid, and only paid, with its payment; only money received is to refund.
            models.CheckConstraint(
                condition=(Q(state="paid") & Q(payment__isnull=False))
                | (~Q(state="paid") & Q(payment__isnull=True) & Q(refund_reason="")),
                name="attempt_paid_has_its_payment"),
            models.UniqueConstraint(fields=["provider", "provider_reference"],
                                    condition=~Q(provider_reference=""),
                                    name="attempt_one_per_provider_operation"),
            # An invoice is paid online once; a second payment is kept, to refund.
            models.UniqueConstraint(fields=["invoice"],
                                    condition=Q(state="paid", refund_reason=""),
                                    name="attempt_one_applied_payment_per_invoice"),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="attempt_open_by_age")]

    def __str__(self):
        return _("%(provider)s, %(amount)s, %(state)s") % {
            "provider": self.get_provider_display(), "amount": euros(self.amount_cents),
            "state": self.get_state_display()}

    @property
    def amount(self) -> str:
        return euros(self.amount_cents)

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.CREATED, self.State.PENDING)


class StripeEvent(models.Model):
    """Each Stripe event id processed once, however often it is delivered."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class AttestationQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(state=Attestation.State.ISSUED).exists():
            raise ValidationError(_("Une attestation émise ne se supprime jamais."))
        return super().delete()


def new_verification_code() -> str:
    """About 128 random bits: printed on the PDF, unguessable (secrets, not random)."""
    return secrets.token_urlsafe(16)


class Attestation(IssuedOnce, models.Model):
    """A numbered certificate issued to a household: attestation fiscale (frais de garde of
    the children under 6, one calendar year), attestation de présence (one child, a period),
    relevé annuel de paiements (one calendar year).

    Its figures are computed once and frozen in `data` when it is made; once issued it never
    changes nor is deleted. Re-issuing makes a new attestation whose `replaces` names the old
    one (and whose PDF says so)."""

    class Kind(models.TextChoices):
        FISCAL = "fiscal", _("Attestation fiscale (frais de garde)")
        PRESENCE = "presence", _("Attestation de présence")
        PAYMENTS = "payments", _("Relevé annuel de paiements")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon à vérifier")
        ISSUED = "issued", _("Émise")

    # Prefix of the number and name of its gap-free per-year NumberSequence.
    NUMBERING = {Kind.FISCAL: ("AF", "att-fisc"), Kind.PRESENCE: ("AP", "att-pres"),
                 Kind.PAYMENTS: ("RP", "att-paie")}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="attestations",
                               verbose_name=_("foyer"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("enfant"))
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True,
                                            help_text=_("Année civile (fiscale, paiements)."))
    period_start = models.DateField(_("du"), null=True, blank=True)
    period_end = models.DateField(_("au"), null=True, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    number = models.CharField(_("numéro"), max_length=20, unique=True, null=True, blank=True)
    verification_code = models.CharField(_("code de vérification"), max_length=32,
                                         unique=True, default=new_verification_code,
                                         editable=False)
    total_cents = models.PositiveIntegerField(
        _("montant (centimes)"), default=0,
        help_text=_("Fiscale : frais de garde retenus ; relevé : total payé dans l'année."))
    data = models.JSONField(_("contenu"), default=dict, editable=False)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by", verbose_name=_("remplace"))
    created_at = models.DateTimeField(_("préparée le"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("préparée par"))
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("émise par"))
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="attestations/",
                           blank=True)

    objects = AttestationQuerySet.as_manager()

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        ordering = ["-created_at"]
        permissions = [("publish_attestation",
                        _("Peut émettre les attestations et les envoyer aux familles"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(number__isnull=False, issued_at__isnull=False),
                name="attestation_issued_is_numbered"),
            models.CheckConstraint(
                condition=Q(kind="presence", child__isnull=False, period_start__isnull=False,
                            period_end__isnull=False)
                | (~Q(kind="presence") & Q(year__isnull=False)),
                name="attestation_kind_has_its_scope"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__gte=F("period_start")),
                name="attestation_period_ordered"),
            # The January bulk run is safe to run twice: one draft per household and year.
            models.UniqueConstraint(fields=["kind", "family", "year"],
                                    condition=Q(state="draft"),
                                    name="attestation_one_draft_per_family_year"),
        ]

    def __str__(self):
        return self.number or _("%(kind)s (brouillon) – %(family)s") % {
            "kind": self.get_kind_display(), "family": self.family}

    issued_change_refused = _("Une attestation émise ne change jamais : émettez-en une "
                              "nouvelle version.")
    issued_delete_refused = _("Une attestation émise ne se supprime jamais.")

    @property
    def total(self) -> str:
        return euros(self.total_cents)


# SEPA direct debit (docs/prelevement.md) ------------------------------------------------------

def new_mandate_reference() -> str:
    """A unique mandate reference (RUM): at most 35 characters of the SEPA set, unguessable
    so that a reference seen on a statement names no other family's mandate."""
    return f"PF-{timezone.localdate():%Y%m%d}-{secrets.token_hex(6).upper()}"


class Mandate(models.Model):
    """A household's SEPA direct-debit mandate (CORE, recurrent). Its IBAN is encrypted at
    rest (ground/crypto.py): `iban_encrypted` holds the token, `iban_masked` the only form
    any page shows (FR76 •••• •••• 0185)."""

    # Columns holding tokens of ground/crypto.py, written by hand: `manage.py reencrypt`
    # moves them to the newest key with the fields it finds by their class.
    ENCRYPTED_TOKEN_FIELDS = ("iban_encrypted",)

    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        REVOKED = "revoked", _("Révoqué")

    class Source(models.TextChoices):
        ONLINE = "online", _("Signé en ligne")
        PAPER = "paper", _("Mandat papier enregistré par le service")

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="mandates",
                               verbose_name=_("foyer payeur"))
    reference = models.CharField(_("référence unique du mandat (RUM)"), max_length=35,
                                 unique=True, default=new_mandate_reference, editable=False)
    creditor_id = models.CharField(_("identifiant créancier SEPA (ICS)"), max_length=35)
    holder_name = models.CharField(_("titulaire du compte"), max_length=70)
    iban_encrypted = models.TextField(_("IBAN (chiffré)"), editable=False)
    iban_masked = models.CharField(_("IBAN"), max_length=40, editable=False)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signed_on = models.DateField(_("signé le"))
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    # Its first debit is FRST in a collection file, every later one RCUR.
    first_debit_used = models.BooleanField(_("premier prélèvement effectué"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("enregistré par"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("révoqué par"))

    class Meta:
        verbose_name = _("mandat de prélèvement")
        verbose_name_plural = _("mandats de prélèvement")
        ordering = ["-signed_on", "-pk"]
        permissions = [("manage_direct_debit",
                        _("Peut préparer les prélèvements et enregistrer leurs rejets"))]
        constraints = [
            models.UniqueConstraint(fields=["family"], condition=Q(status="active"),
                                    name="mandate_one_active_per_family"),
            models.CheckConstraint(
                condition=Q(status="active", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="mandate_revoked_has_date"),
        ]

    def __str__(self):
        return f"{self.reference} – {self.family}"


class DebitBatch(models.Model):
    """A collection file (pain.008) staff download for the bank or the treasury. Its XML,
    which holds the debtors' IBANs, is kept encrypted (ground/crypto.py)."""

    ENCRYPTED_TOKEN_FIELDS = ("xml_encrypted",)  # as Mandate's

    collection_date = models.DateField(_("date de prélèvement"))
    message_id = models.CharField(_("identifiant du fichier"), max_length=35, unique=True)
    created_at = models.DateTimeField(_("préparé le"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("préparé par"))
    total_cents = models.PositiveBigIntegerField(_("total (centimes)"))
    count = models.PositiveIntegerField(_("nombre de prélèvements"))
    xml_encrypted = models.TextField(editable=False)

    class Meta:
        verbose_name = _("remise de prélèvements")
        verbose_name_plural = _("remises de prélèvements")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(count__gt=0),
                                              name="debitbatch_not_empty")]

    def __str__(self):
        return _("Prélèvements du %(day)s (%(count)d)") % {
            "day": f"{self.collection_date:%d/%m/%Y}", "count": self.count}

    @property
    def total(self) -> str:
        return euros(self.total_cents)


class DebitItem(models.Model):
    """One invoice debited in a collection file, and its reject if the bank returns it."""

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("Premier prélèvement du mandat")
        RECURRING = "RCUR", _("Prélèvement récurrent")

    class RejectReason(models.TextChoices):
        # The ISO 20022 reason codes a French bank returns most (EPC guidance).
        AC01 = "AC01", _("AC01 – IBAN incorrect")
        AC04 = "AC04", _("AC04 – compte clôturé")
        AC06 = "AC06", _("AC06 – compte bloqué")
        AG01 = "AG01", _("AG01 – compte ne permettant pas le prélèvement")
        AM04 = "AM04", _("AM04 – provision insuffisante")
        MD01 = "MD01", _("MD01 – pas de mandat valide")
        MD06 = "MD06", _("MD06 – remboursement demandé par le titulaire")
        MD07 = "MD07", _("MD07 – titulaire décédé")
        MS02 = "MS02", _("MS02 – refus du titulaire")
        MS03 = "MS03", _("MS03 – raison non communiquée")
        SL01 = "SL01", _("SL01 – service spécifique de la banque")

    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="items",
                              verbose_name=_("remise"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="debit_items",
                                verbose_name=_("facture"))
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debit_items",
                                verbose_name=_("mandat"))
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    sequence_type = models.CharField(_("séquence"), max_length=4, choices=Sequence.choices)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35,
                                     unique=True)
    # The payment the debit recorded; deleted (with its history) if the debit is rejected.
    payment = models.OneToOneField(Payment, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="debit_item", verbose_name=_("paiement"))
    rejected_at = models.DateTimeField(_("rejeté le"), null=True, blank=True)
    reject_reason = models.CharField(_("motif du rejet"), max_length=4, blank=True,
                                     choices=RejectReason.choices)
    reject_fee_cents = models.PositiveIntegerField(_("frais de rejet (centimes)"), default=0)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("rejet enregistré par"))

    class Meta:
        verbose_name = _("prélèvement")
        verbose_name_plural = _("prélèvements")
        ordering = ["batch", "pk"]
        constraints = [
            # An invoice is debited once at a time: again only after a reject.
            models.UniqueConstraint(fields=["invoice"], condition=Q(rejected_at__isnull=True),
                                    name="debititem_one_live_per_invoice"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0),
                                   name="debititem_amount_positive"),
            models.CheckConstraint(
                condition=Q(rejected_at__isnull=True, reject_reason="")
                | Q(rejected_at__isnull=False) & ~Q(reject_reason=""),
                name="debititem_reject_has_reason"),
        ]

    def __str__(self):
        return f"{self.end_to_end_id} – {euros(self.amount_cents)}"


# Household charges besides the days (docs/prelevement.md, « Frais de rejet ») ------------------

class FamilyCharge(models.Model):
    """An amount a household owes besides its days — today the reject fee of a returned
    debit (« Frais de rejet de prélèvement »), a line of the commune's tariff. It is billed
    once, by the first month prepared for the household that has no issued invoice yet and
    did not end before the charge arose: that month is written in `month` when its draft
    takes it (services/billing.py), and any correction of the month bills it again."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="charges",
                               verbose_name=_("foyer"))
    label = models.CharField(_("libellé"), max_length=120)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    debit_item = models.OneToOneField(DebitItem, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="charge",
                                      verbose_name=_("prélèvement rejeté"))
    created_at = models.DateTimeField(_("dû depuis le"), default=timezone.now)
    month = models.DateField(_("facturé avec le mois"), null=True, blank=True)

    class Meta:
        verbose_name = _("frais à facturer")
        verbose_name_plural = _("frais à facturer")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0),
                                   name="familycharge_amount_positive"),
            models.CheckConstraint(condition=Q(month__isnull=True) | Q(month__day=1),
                                   name="familycharge_month_first"),
        ]

    def __str__(self):
        return f"{self.label} – {euros(self.amount_cents)}"


class InvoiceCharge(models.Model):
    """A household charge as one invoice bills it, kept with the invoice (an issued invoice
    never changes; its corrective invoice has its own row)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="charge_lines",
                                verbose_name=_("facture"))
    charge = models.ForeignKey(FamilyCharge, on_delete=models.PROTECT,
                               related_name="invoice_lines", verbose_name=_("frais"))
    label = models.CharField(_("libellé"), max_length=120)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))

    class Meta:
        verbose_name = _("frais facturés")
        verbose_name_plural = _("frais facturés")
        ordering = ["charge__created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "charge"],
                                    name="invoicecharge_once_per_invoice"),
        ]

    def __str__(self):
        return f"{self.label} – {euros(self.amount_cents)}"
