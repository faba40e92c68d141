"""`ground.i18n.gettext`: the words Django's gettext gives, per language, and the new ones
once the catalogs change."""

import struct

from django.utils import translation

from ground.i18n import gettext


def _write_catalog(folder, language, messages: dict[str, str]):
    """A GNU .mo file (the format `compilemessages` writes), for one test's catalog."""
    path = folder / language / "LC_MESSAGES" / "django.mo"
    path.parent.mkdir(parents=True)
    entries = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **messages}.items())
    ids = [k.encode() for k, _v in entries]
    texts = [v.encode() for _k, v in entries]
    start = 7 * 4 + 16 * len(entries)
    offsets, data = [], b""
    for blob in ids + texts:
        offsets.append((len(blob), start + len(data)))
        data += blob + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(entries), 28, 28 + 8 * len(entries), 0, 0)
    table = b"".join(struct.pack("<2I", *pair) for pair in offsets)
    path.write_bytes(header + table + data)


def test_each_language_has_its_own_words_and_a_changed_catalog_is_read(tmp_path, settings):
    _write_catalog(tmp_path / "first", "en", {"réservé": "booked"})
    _write_catalog(tmp_path / "second", "en", {"réservé": "reserved"})
    settings.LOCALE_PATHS = [str(tmp_path / "first")]
    for _twice in range(2):
        with translation.override("en"):
            assert gettext("réservé") == "booked"
        with translation.override("fr"):
            assert gettext("réservé") == "réservé"
    settings.LOCALE_PATHS = [str(tmp_path / "second")]
    with translation.override("en"):
        assert gettext("réservé") == "reserved"
        assert gettext("annulé") == translation.gettext("annulé") == "annulé"
