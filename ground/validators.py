"""Checks of what staff type in the commune's settings, with French messages (ground module).

The IBAN (schwifty: each country's length and account structure, the ISO 7064 mod-97 check)
and the SEPA creditor identifier (mod-97 here: schwifty does not know it) carry a check, the
SIRET a Luhn key: a typing error is caught here, not by the bank or on a family's invoice."""

import re
import string
from datetime import date

import phonenumbers
import schwifty
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import exceptions

POSTAL_CODE = re.compile(r"(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}")
# A number typed without its country code is read as French, then as one of the overseas
# départements' (0590… Guadeloupe, 0262… La Réunion: the same ten digits, another plan).
FRENCH_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")
PHONE_MAX_LENGTH = 20  # the models' fields
# A child of the service is under 18; some families keep a young adult's file (a disabled
# child, an older sibling at the youth club): 25 years leaves room and still catches 1890.
CHILD_MAX_AGE = 25


def compact(value: str) -> str:
    """Upper case, without the spaces (and dashes) people type to group the characters."""
    return re.sub(r"[\s-]", "", value or "").upper()


def _mod97(text: str) -> int:
    digits = "".join(str(string.digits.index(c)) if c.isdigit()
                     else str(10 + string.ascii_uppercase.index(c)) for c in text)
    return int(digits) % 97


def postal_codes(value: str) -> list[str]:
    """The codes of a comma-separated list, each checked (five digits, a French département)."""
    codes = [code.strip() for code in (value or "").split(",") if code.strip()]
    if not codes:
        raise ValidationError(_("Indiquez au moins un code postal de la commune."),
                              code="postal_codes_empty")
    wrong = [code for code in codes if not POSTAL_CODE.fullmatch(code)]
    if wrong:
        raise ValidationError(
            _("Code postal invalide : %(codes)s. Un code postal a cinq chiffres ; séparez "
              "plusieurs codes par des virgules (ex. : 56000, 56100)."),
            code="postal_code", params={"codes": ", ".join(wrong)})
    return codes


def validate_postal_codes(value: str) -> None:
    postal_codes(value)


def validate_postal_code(value: str) -> None:
    """One French postal code: it decides the commune's price against the outside price."""
    if value and not POSTAL_CODE.fullmatch(value.strip()):
        raise ValidationError(
            _("Code postal invalide : cinq chiffres, sans espace (ex. : 56000)."),
            code="postal_code")


def parse_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """The number a person typed, read as French unless it starts with its country code
    (+44…, 0044…); None if it is no number that can be called."""
    text = (value or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    for region in FRENCH_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
        if text.startswith("+"):  # the country is given: no other plan to try
            return None
    return None


def normalize_phone(value: str) -> str:
    """One spelling per number, read aloud by staff in an emergency: French (and overseas)
    numbers as dialled in France (06 12 34 56 78), others with their country code
    (+44 20 7946 0958). A value that is no number is returned as it is."""
    number = parse_phone(value)
    if number is None:
        return value
    region = phonenumbers.region_code_for_number(number)
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if region in FRENCH_REGIONS
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    text = phonenumbers.format_number(number, style)
    if len(text) > PHONE_MAX_LENGTH:
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def validate_phone(value: str) -> None:
    if value and parse_phone(value) is None:
        raise ValidationError(
            _("Numéro de téléphone invalide : dix chiffres (ex. : 06 12 34 56 78), ou le "
              "numéro précédé de l'indicatif du pays pour l'étranger (ex. : +32 …)."),
            code="phone")


def validate_birth_date(value: date) -> None:
    """A child's birth date: not to come, nor so far back it must be a typing error."""
    if value is None:
        return
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."),
                              code="birth_date_future")
    oldest = today.replace(year=today.year - CHILD_MAX_AGE, day=min(today.day, 28))
    if value < oldest:
        raise ValidationError(
            _("Date de naissance improbable pour un enfant (avant le %(date)s) : vérifiez "
              "l'année."),
            code="birth_date_old", params={"date": oldest.strftime("%d/%m/%Y")})


def checked_iban(value: str) -> schwifty.IBAN:
    """The IBAN typed (spaces and case as people write them), checked by schwifty: country,
    length and structure of the account number, check digits; or a French message saying
    which is wrong."""
    iban = compact(value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}", iban):
        raise ValidationError(
            _("IBAN invalide : deux lettres du pays, deux chiffres de contrôle, puis le numéro "
              "de compte (ex. : FR76 3000 1007 9412 3456 7890 185)."), code="iban_format")
    try:
        return schwifty.IBAN(iban, validate_bban=True)
    except exceptions.InvalidCountryCode:
        raise ValidationError(
            _("IBAN invalide : « %(country)s » n'est pas un pays dont les banques ont des "
              "IBAN (FR pour la France)."), code="iban_country",
            params={"country": iban[:2]}) from None
    except exceptions.InvalidLength:
        raise ValidationError(
            _("IBAN invalide : un IBAN %(country)s n'a pas %(count)d caractères. Vérifiez qu'il "
              "n'en manque pas et qu'il n'y en a pas en trop."),
            code="iban_length", params={"country": iban[:2], "count": len(iban)}) from None
    except exceptions.InvalidChecksumDigits:
        raise ValidationError(
            _("IBAN invalide : la clé de contrôle ne correspond pas. Vérifiez chaque "
              "caractère."), code="iban_checksum") from None
    except exceptions.SchwiftyException:
        raise ValidationError(
            _("IBAN invalide : le numéro de compte n'a pas la forme attendue dans ce pays. "
              "Recopiez-le depuis votre relevé d'identité bancaire (RIB)."),
            code="iban_format") from None


def validate_iban(value: str) -> None:
    checked_iban(value)


def validate_sepa_iban(value: str) -> None:
    """An IBAN that can be debited by a SEPA direct debit (a country of the SEPA zone)."""
    if not checked_iban(value).in_sepa_zone:
        raise ValidationError(
            _("Ce compte n'est pas dans la zone SEPA : il ne peut pas être prélevé. "
              "Indiquez un compte d'une banque européenne."), code="iban_not_sepa")


def validate_bic(value: str) -> None:
    try:
        schwifty.BIC(compact(value))
    except exceptions.SchwiftyException:
        raise ValidationError(
            _("BIC invalide : 8 ou 11 lettres et chiffres (ex. : BDFEFRPPCCT), sur votre "
              "relevé d'identité bancaire (RIB)."), code="bic") from None


def validate_creditor_id(value: str) -> None:
    """The SEPA creditor identifier (ICS): country, two check digits, a business code of three
    characters (not part of the check), the national identifier (in France, six characters:
    FR72ZZZ123456)."""
    ics = compact(value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", ics) or (
            ics.startswith("FR") and len(ics) != 13):
        raise ValidationError(
            _("Identifiant créancier SEPA (ICS) invalide : en France, « FR », deux chiffres "
              "de contrôle, trois caractères puis six (ex. : FR72ZZZ123456)."),
            code="ics_format")
    if _mod97(ics[7:] + ics[:4]) != 1:
        raise ValidationError(
            _("Identifiant créancier SEPA (ICS) invalide : la clé de contrôle ne correspond "
              "pas. Recopiez-le depuis le courrier de la Banque de France."),
            code="ics_checksum")


def validate_siret(value: str) -> None:
    siret = compact(value)
    if not re.fullmatch(r"[0-9]{14}", siret):
        raise ValidationError(_("SIRET invalide : quatorze chiffres (ex. : 215 600 019 00008)."),
                              code="siret_format")
    total = 0
    for position, char in enumerate(reversed(siret)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    # La Poste's establishments follow another rule (sum of digits divisible by 5).
    if total % 10 and not (siret.startswith("356000000") and sum(map(int, siret)) % 5 == 0):
        raise ValidationError(
            _("SIRET invalide : la clé de contrôle ne correspond pas. Vérifiez chaque chiffre."),
            code="siret_checksum")


PAYMENT_METHODS = ("card", "cash", "cheque", "cesu", "transfer", "direct_debit")


def validate_payment_methods(value) -> None:
    if not isinstance(value, list) or any(method not in PAYMENT_METHODS for method in value):
        raise ValidationError(_("Choisissez les moyens de paiement dans la liste."),
                              code="payment_methods")
