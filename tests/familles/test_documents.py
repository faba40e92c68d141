"""The document vault: checked uploads, private storage, downloads only for those allowed."""

import datetime
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from familles.models import Document, DocumentAccess
from ground import crypto
from tests.helpers import (
    flash_messages,
    jpeg_bytes,
    page_text,
    pdf_bytes,
    pdf_with_javascript,
    png_bomb,
    png_bytes,
    stored_files,
)
from tests.scenarios.accounts import UserFactory

DOCUMENTS = "/documents/"
NOT_A_DOCUMENT = ("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. "
                  "Enregistrez ou photographiez le document dans l'un de ces formats.")


def upload(client, name, content, kind="tax_notice", child=None, valid_until="",
           content_type="application/octet-stream"):
    data = {"kind": kind, "child": child.pk if child else "", "valid_until": valid_until,
            "file": SimpleUploadedFile(name, content, content_type=content_type)}
    return client.post(DOCUMENTS, data, follow=True)


def assert_refused(response, message):
    assert response.status_code == 400
    assert message in page_text(response)
    assert not Document.objects.exists()
    assert stored_files() == []


def download(client, document, **params):
    response = client.get(f"/documents/{document.pk}/", params)
    body = b"".join(response.streaming_content) if response.status_code == 200 else None
    return response, body


@pytest.fixture
def document(family, guardian):
    return Document.objects.get(pk=_upload_as(guardian, "avis.pdf", pdf_bytes()))


@pytest.fixture
def health_document(family, guardian, child):
    return Document.objects.get(pk=_upload_as(guardian, "vaccins.pdf", pdf_bytes("DTP"),
                                              kind="vaccination", child=child))


def _upload_as(guardian, name, content, **kwargs):
    client = Client()
    client.force_login(guardian.user)
    response = upload(client, name, content, **kwargs)
    assert response.status_code == 200, page_text(response)
    return Document.objects.latest("uploaded_at").pk


# --- Accepted uploads --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "make", "content_type", "stored_name"), [
    ("avis-imposition-2025.pdf", pdf_bytes, "application/pdf", "avis-imposition-2025.pdf"),
    ("Carnet de santé.png", png_bytes, "image/png", "Carnet de santé.png"),
    ("IMG_2044.JPG", jpeg_bytes, "image/jpeg", "IMG_2044.jpg"),
])
def test_upload_list_and_download_real_files(parent_client, family, guardian, name, make,
                                             content_type, stored_name):
    content = make()
    response = upload(parent_client, name, content)
    assert response.redirect_chain == [(DOCUMENTS, 302)]
    assert f"« {stored_name} » est enregistré dans vos documents." in flash_messages(response)

    document = Document.objects.get()
    assert (document.family, document.uploaded_by) == (family, guardian.user)
    assert (document.content_type, document.size, document.original_name) == (
        content_type, len(content), stored_name)
    # Stored in the private vault under a random name, never the parent's.
    # Encrypted there (ground/encrypted_storage.py): nothing of the content on the disk.
    [path] = stored_files()
    raw = path.read_bytes()
    assert raw.startswith(crypto.TOKEN_PREFIX) and content[:4] not in raw
    assert crypto.decrypt_bytes(raw) == content
    assert path.parent.name == str(family.pk)
    assert stored_name.rsplit(".", 1)[0] not in path.name

    listing = page_text(response)
    assert stored_name in listing and "Avis d'imposition" in listing
    assert f'href="/documents/{document.pk}/"' in listing

    got, body = download(parent_client, document)
    assert got.status_code == 200
    assert body == content
    assert got["Content-Type"] == content_type
    disposition = got["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{stored_name}"' in disposition or quote(stored_name) in disposition
    assert got["Cache-Control"] == "private, no-store"


def test_document_for_one_child_with_a_validity_date(parent_client, child):
    valid_until = timezone.localdate() + datetime.timedelta(days=200)
    response = upload(parent_client, "vaccins.pdf", pdf_bytes(), kind="vaccination",
                      child=child, valid_until=valid_until.isoformat())
    document = Document.objects.get()
    assert (document.child, document.kind, document.valid_until) == (
        child, "vaccination", valid_until)
    text = page_text(response)
    assert "Carnet de vaccination" in text and "Lou" in text


def test_content_decides_the_type_not_the_name(parent_client):
    upload(parent_client, "scan.pdf", png_bytes())
    document = Document.objects.get()
    assert (document.content_type, document.original_name) == ("image/png", "scan.png")
    assert stored_files()[0].suffix == ".png"


def test_path_in_the_name_is_stripped(parent_client, family, settings):
    response = upload(parent_client, "../../etc/passwd.pdf", pdf_bytes())
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.original_name == "passwd.pdf"
    [path] = stored_files()
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT / "documents" / str(family.pk))
    got, _body = download(parent_client, document)
    assert got["Content-Disposition"] == 'attachment; filename="passwd.pdf"'


def test_odd_characters_in_the_name_are_replaced(parent_client):
    upload(parent_client, 'avis<script>"x".pdf', pdf_bytes())
    name = Document.objects.get().original_name
    assert name.endswith(".pdf")
    assert not set('<>"/\\') & set(name)


# --- Refusals: a clear French message, HTTP 400, nothing stored ---------------------------

def test_text_file_named_pdf_is_refused(parent_client):
    response = upload(parent_client, "avis.pdf", b"Ceci n'est pas un PDF\n" * 20,
                      content_type="application/pdf")
    assert_refused(response, NOT_A_DOCUMENT)


def test_html_and_executables_are_refused(parent_client):
    assert_refused(upload(parent_client, "page.png", b"<html><script>alert(1)</script></html>"),
                   NOT_A_DOCUMENT)
    assert_refused(upload(parent_client, "setup.jpg", b"MZ\x90\x00" + b"\x00" * 200),
                   NOT_A_DOCUMENT)


def test_damaged_image_is_refused(parent_client):
    broken = png_bytes()[:40] + b"\x00" * 60
    assert_refused(upload(parent_client, "photo.png", broken),
                   "Cette image est illisible ou endommagée.")


# Pillow warns when it opens the 100-megapixel one: expected here, the upload is refused.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [
    (15000, 15000),  # 225 megapixels in 27 KB: Pillow itself raises past twice its limit
    (10000, 10000),  # 100 megapixels: past Pillow's limit, where it only warns
])
def test_decompression_bomb_is_refused_in_french(parent_client, width, height):
    """Review finding 7: a tiny PNG claiming hundreds of megapixels gave a 500. It is refused
    from its header, before any pixel is decoded, with what to do instead."""
    bomb = png_bomb(width, height)
    assert len(bomb) < 300 * 1024
    assert_refused(upload(parent_client, "scan.png", bomb, content_type="image/png"),
                   "Cette image est trop grande")


def test_a_pdf_with_javascript_is_only_ever_served_inert(parent_client, family):
    """A PDF is a valid document even when it carries JavaScript: it is kept, but served as
    a download, never sniffed into something else, and sandboxed if opened in the browser."""
    response = upload(parent_client, "certificat.pdf", pdf_with_javascript())
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.content_type == "application/pdf"

    got, body = download(parent_client, document)
    assert body == pdf_with_javascript()
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["Content-Type"] == "application/pdf"
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Security-Policy"] == "sandbox"
    inline, _ = download(parent_client, document, voir="1")
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["Content-Security-Policy"] == "sandbox"  # opened inline, it runs nothing
    assert inline["X-Content-Type-Options"] == "nosniff"


def test_empty_file_is_refused(parent_client):
    assert_refused(upload(parent_client, "vide.pdf", b""), "Le fichier soumis est vide.")


def test_file_over_the_cap_is_refused(parent_client, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    content = pdf_bytes() + b"%" + b"x" * 1000
    assert_refused(upload(parent_client, "gros.pdf", content),
                   "Le fichier dépasse la taille maximale de 1000\xa0octets.")


def test_real_file_over_10_mb_is_refused(parent_client):
    content = pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024)
    response = upload(parent_client, "scan-enorme.pdf", content)
    assert_refused(response, "Le fichier dépasse la taille maximale de 10\xa0Mo.")


def test_file_exactly_at_the_cap_is_accepted(parent_client, settings):
    content = pdf_bytes()
    settings.DOCUMENT_MAX_BYTES = len(content)
    assert upload(parent_client, "juste.pdf", content).status_code == 200
    assert Document.objects.count() == 1


def test_missing_file_is_refused(parent_client):
    response = parent_client.post(DOCUMENTS, {"kind": "tax_notice"})
    assert_refused(response, "Ce champ est obligatoire.")


def test_document_already_expired_is_refused(parent_client):
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert_refused(upload(parent_client, "avis.pdf", pdf_bytes(), valid_until=yesterday),
                   "Ce document n'est déjà plus valable à cette date.")


def test_child_of_another_family_is_refused(parent_client, other_child):
    response = upload(parent_client, "vaccins.pdf", pdf_bytes(), kind="vaccination",
                      child=other_child)
    assert_refused(response, "Sélectionnez un choix valide.")


# --- Delete -------------------------------------------------------------------------------

def test_owner_deletes_a_document_and_its_file_after_confirming(parent_client, document):
    [path] = stored_files()
    address = f"/documents/{document.pk}/supprimer/"
    listing = page_text(parent_client.get("/documents/"))
    assert f'<a class="ms-2" href="{address}">Supprimer' in listing
    assert f'action="{address}"' not in listing  # one click deletes nothing
    confirmation = parent_client.get(address)
    assert confirmation.status_code == 200
    assert "Supprimer « avis.pdf » ?" in page_text(confirmation)
    assert 'type="submit" class="btn btn-danger">Supprimer le document' in page_text(
        confirmation)
    assert Document.objects.exists() and path.exists()
    response = parent_client.post(f"/documents/{document.pk}/supprimer/", follow=True)
    assert "« avis.pdf » a été supprimé." in flash_messages(response)
    assert not Document.objects.exists()
    assert not path.exists()
    assert "Aucun document pour l'instant." in page_text(response)


# --- Who may download ---------------------------------------------------------------------

def test_second_guardian_downloads_the_family_documents(client_factory, second_guardian,
                                                        document):
    other = client_factory()
    other.force_login(second_guardian.user)
    got, body = download(other, document)
    assert got.status_code == 200
    assert body == pdf_bytes()


def test_anonymous_is_sent_to_login(client, document):
    for url in (DOCUMENTS, f"/documents/{document.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/compte/login/")
    response = client.post(f"/documents/{document.pk}/supprimer/")
    assert response.status_code == 302
    assert Document.objects.filter(pk=document.pk).exists()


def test_staff_with_permission_downloads_and_access_is_recorded(staff_client, staff_user,
                                                                document):
    got, body = download(staff_client, document, voir="1")
    assert got.status_code == 200
    assert body == pdf_bytes()
    assert got["Content-Disposition"].startswith("inline;")
    assert got["Content-Security-Policy"] == "sandbox"
    access = DocumentAccess.objects.get()
    assert (access.document, access.user) == (document, staff_user)


def test_staff_with_health_permission_opens_health_documents(staff_client, staff_user,
                                                             health_document):
    got, body = download(staff_client, health_document)
    assert got.status_code == 200
    assert body == pdf_bytes("DTP")
    assert DocumentAccess.objects.filter(document=health_document, user=staff_user).exists()


def _staff_with(*codenames):
    user = UserFactory(is_staff=True, email="agent.restreint@mairie.example")
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="familles", codename__in=codenames))
    return user


def test_staff_without_health_permission_gets_403_on_health_documents(
    client, document, health_document
):
    client.force_login(_staff_with("view_document"))
    got, _ = download(client, health_document)
    assert got.status_code == 403
    got, _ = download(client, document)  # other documents stay available
    assert got.status_code == 200
    assert list(DocumentAccess.objects.values_list("document", flat=True)) == [document.pk]


def test_staff_without_view_document_gets_403(client, document):
    client.force_login(_staff_with())
    got, _ = download(client, document)
    assert got.status_code == 403
    assert not DocumentAccess.objects.exists()


def test_a_parent_who_is_not_staff_gets_404_on_someone_elses_document(client_factory,
                                                                      other_guardian,
                                                                      document):
    other = client_factory()
    other.force_login(other_guardian.user)
    got, _ = download(other, document)
    assert got.status_code == 404


@pytest.mark.parametrize("who", ["parent_client", "staff_client"])
def test_unknown_document_is_not_found(request, who):
    client = request.getfixturevalue(who)
    assert client.get("/documents/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert not DocumentAccess.objects.exists()
