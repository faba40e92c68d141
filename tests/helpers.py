"""Small helpers for HTTP-level tests: read a page or a PDF as a parent would, make real
files, run actions together, a mail server that refuses everything."""

import html
import io
import re
import smtplib
import socket
import threading
import zlib

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from PIL import Image

from familles import second_factor
from portail import demo


def page_text(response) -> str:
    """The page's HTML with entities decoded, so that French apostrophes compare as typed."""
    return html.unescape(response.content.decode())


def visible_text(response) -> str:
    """Roughly what a reader sees: tags dropped, entities decoded, blanks collapsed."""
    raw = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def flash_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def pdf_bytes(text: str = "Avis d'imposition", catalog_extra: bytes = b"") -> bytes:
    """A minimal but valid one-page PDF (`catalog_extra`: more entries of its catalog)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


# --- PDF text, as WeasyPrint writes it -----------------------------------------------------
# (no PDF reader is installed: WeasyPrint's fonts carry ToUnicode maps, which is all it takes)

_STREAM = re.compile(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", re.S)


def pdf_text(data: bytes) -> str:
    """The text of a WeasyPrint PDF, words separated by single spaces."""
    objects, streams = {}, []
    for m in _STREAM.finditer(data):
        head = m.group(2)
        body = data[m.end():m.end() + int(re.search(rb"/Length (\d+)", head).group(1))]
        body = zlib.decompress(body) if b"/FlateDecode" in head else body
        objects[int(m.group(1))] = body
        streams.append((head, body))
    for head, body in streams:  # the members of object streams
        if b"/ObjStm" in head:
            first = int(re.search(rb"/First (\d+)", head).group(1))
            pairs = list(map(int, body[:first].split()))
            starts = [(pairs[i], first + pairs[i + 1]) for i in range(0, len(pairs), 2)]
            ends = [start for _num, start in starts[1:]] + [len(body)]
            for (num, start), end in zip(starts, ends, strict=True):
                objects[num] = body[start:end]
    cmaps = {}
    for num, body in objects.items():
        ref = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if ref:
            pairs = re.findall(rb"<([0-9a-fA-F]+)> *<([0-9a-fA-F]+)>", objects[int(ref.group(1))])
            cmaps[num] = {int(a, 16): bytes.fromhex(b.decode()).decode("utf-16-be")
                          for a, b in pairs}
    fonts = {name: cmaps[int(num)] for body in objects.values()
             for name, num in re.findall(rb"/(\w+) (\d+) 0 R", body) if int(num) in cmaps}
    words = []
    for body in objects.values():
        if b" Tf" not in body:
            continue
        cmap = {}
        for op in re.finditer(rb"/(\w+) [\d.]+ Tf|\[(.*?)\] ?TJ|<([0-9a-fA-F]*)> ?Tj", body,
                              re.S):
            if op.group(1):
                cmap = fonts.get(op.group(1), {})
                continue
            hexes = (re.findall(rb"<([0-9a-fA-F]*)>", op.group(2)) if op.group(2) is not None
                     else [op.group(3)])
            words.append("".join(cmap.get(int(h[i:i + 4], 16), "?") for h in hexes
                                 for i in range(0, len(h), 4)))
    return " ".join(" ".join(words).split())


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, format=fmt)
    return out.getvalue()


def png_bytes() -> bytes:
    return image_bytes("PNG")


def jpeg_bytes() -> bytes:
    return image_bytes("JPEG")


def png_bomb(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width × height pixels that weighs a few hundred KB: a
    decompression bomb (225 megapixels would take 225 MB once decoded as greyscale). Written
    row by row through zlib, so that making it never holds the image in memory either."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte, then 1 bit per pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def pdf_with_javascript() -> bytes:
    """A PDF that runs JavaScript when opened by a reader that executes it (/OpenAction)."""
    return pdf_bytes("Certificat", catalog_extra=b" /OpenAction << /S /JavaScript "
                     b"/JS (app.alert\\(document.cookie\\)) >>")


def stored_files() -> list:
    """Every file in the private vault (PRIVATE_MEDIA_ROOT is a fresh tmp dir per test)."""
    root = settings.PRIVATE_MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def free_port() -> int:
    """A local port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def together(action, items, timeout: float = 60) -> list:
    """Run `action(item)` for every item, each in its own thread (and its own database
    connection, closed afterwards), all released at the same instant. Returns each item's
    exception or None, in the items' order; fails if one hangs."""
    barrier = threading.Barrier(len(items))
    errors: list = [None] * len(items)

    def run(index, item):
        try:
            barrier.wait(timeout=30)
            action(item)
        except Exception as error:  # returned to the test, which asserts on it
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


# --- staff's second factor -----------------------------------------------------------------

DJANGO_FORCE_LOGIN = Client.force_login
# The code an authenticator app shows for a key (RFC 6238, standard library). Tests that post
# one stop the clock (the `frozen_clock` fixture), so that the server checks the same 30 s.
totp_code = demo.totp_code


def force_login_with_second_factor(client, user, backend=None):
    """Django's `force_login` ("the details of how a user logged in aren't important"), with
    the session marked as allauth's code step marks it when the user has a TOTP device: a
    staff member built by the factories is then fully logged in, as after password and code.
    tests/conftest.py makes every client's `force_login` this one; a test of the gate logs in
    with the password only through `client.login` or the real login form instead."""
    DJANGO_FORCE_LOGIN(client, user, backend)
    session = client.session
    second_factor.mark_passed(session, user)
    session.save()


class BrokenSMTPBackend(BaseEmailBackend):
    """A mail server that refuses every message (EMAIL_BACKEND =
    "tests.helpers.BrokenSMTPBackend")."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connexion au serveur SMTP perdue")
