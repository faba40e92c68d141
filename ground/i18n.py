"""`gettext`, remembered per language (ground module: imports no app).

Django looks a message up in every catalog of every installed app in turn (its own, allauth's,
crispy's…), and our messages are the French originals, found in none of them: each call walked
the whole chain and missed everywhere. A calendar page asks for
some ninety messages (each day's deadline sentence, each row's state), a booking answer as
many, and they are the same few dozen for every parent. Here each language keeps what Django
answered, so a message is looked up once per process and language (calendar page about −4 %,
period booking about −8 % of CPU, old and new alternating in one process).

Only for messages written in the code (a bounded set): a dict per language, emptied should it
ever grow past `LIMIT`, and emptied when a setting that changes the catalogs changes (tests),
as Django empties its own. Keyed by `get_language()`, which names the default language when
translation is deactivated (`deactivate_all()`, management commands): there Django answers the
message itself, here that language's words, the same as long as no catalog rewords our
French. Module-level constants use `gettext_noop` and are translated where used, as with
Django's own `gettext`."""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import get_language
from django.utils.translation import gettext as django_gettext

LIMIT = 4096
_known: dict[str | None, dict[str, str]] = {}


def gettext(message: str) -> str:
    language = get_language()
    known = _known.get(language)
    if known is None or len(known) > LIMIT:
        known = _known[language] = {}
    text = known.get(message)
    if text is None:
        text = known[message] = django_gettext(message)
    return text


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _known.clear()
