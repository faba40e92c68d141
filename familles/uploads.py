"""Checking an uploaded file before it enters the vault: by content, never by its name."""

import re
import unicodedata
from pathlib import PurePath

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ground.sizes import human_size

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def check_upload(uploaded) -> tuple[str, str]:
    """Return (content_type, safe_name) or raise ValidationError with a French message."""
    if uploaded is None:
        raise ValidationError(_("Choisissez un fichier à envoyer."))
    if uploaded.size == 0:
        raise ValidationError(_("Le fichier est vide."))
    limit = settings.DOCUMENT_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(limit)s. Réduisez-le (photo moins "
              "grande, scan en noir et blanc) ou envoyez-le en plusieurs parties.")
            % {"limit": human_size(limit)}
        )
    uploaded.seek(0)
    head = uploaded.read(4096)
    uploaded.seek(0)
    content_type = magic.from_buffer(head, mime=True)
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(
            _("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. "
              "Enregistrez ou photographiez le document dans l'un de ces formats.")
        )
    if content_type.startswith("image/"):
        _check_image(uploaded)
    return content_type, safe_name(uploaded.name, ALLOWED_TYPES[content_type])


def _check_image(uploaded) -> None:
    """Readable, and not a decompression bomb: the size is read from the header, so that a
    few KB claiming hundreds of megapixels are refused before any pixel is decoded (Pillow
    only warns between its limit and twice it, and raises beyond)."""
    try:
        with Image.open(uploaded) as image:
            width, height = image.size
            if width * height > Image.MAX_IMAGE_PIXELS:
                raise ValidationError(_(
                    "Cette image est trop grande (%(width)s × %(height)s pixels). "
                    "Photographiez ou scannez le document en plus petit, ou envoyez-le en "
                    "PDF.") % {"width": width, "height": height})
            image.verify()  # checks the structure without decoding the pixels
    except Image.DecompressionBombError as exc:
        raise ValidationError(_(
            "Cette image est trop grande. Photographiez ou scannez le document en plus petit, "
            "ou envoyez-le en PDF.")) from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError(_("Cette image est illisible ou endommagée.")) from exc
    finally:
        uploaded.seek(0)


def safe_name(name: str, extension: str) -> str:
    """A display name without path, control or odd characters, ending in the real type."""
    stem = PurePath(name.replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = unicodedata.normalize("NFKC", stem)
    stem = re.sub(r"[^\w\- ]+", "_", stem, flags=re.UNICODE).strip(" ._-")[:80]
    return f"{stem or 'document'}.{extension}"
