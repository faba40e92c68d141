"""Issue 27, « Export »: from « Profil », a parent asks for everything the portal holds on the
household; Celery builds a ZIP in the private storage and the link is e-mailed; only the
household's guardians download it, each download is journaled; the link expires and beat
deletes the file."""

import datetime
import io
import json
import os
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from familles.models import FamilyEvent
from ground.models import OutboxMessage
from portail import personal_data
from portail.models import DataExport
from tests.helpers import flash_messages, visible_text
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, GuardianFactory

pytestmark = pytest.mark.django_db
ASK = "/famille/mes-donnees/"


@pytest.fixture
def household(guardian):
    child = ChildFactory(family=guardian.family, first_name="Inès")
    AnnualFileFactory(child=child, allergies="Kiwi et fruits à coque : trousse PAI")
    DocumentFactory(family=guardian.family, original_name="avis-2026.pdf")
    InvoiceFactory(family=guardian.family, issued=True)
    return guardian


def ask(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(ASK, follow=True)


def path_of(link: str) -> str:
    return urlsplit(link).path


def e_mailed_link(guardian) -> str:
    message = OutboxMessage.objects.get(template="data_export_ready")
    assert message.to == [guardian.user.email]
    return re.search(r"https?://\S+/famille/mes-donnees/[0-9a-f-]+/", message.body_text)[0]


def test_a_parent_asks_from_profile_gets_the_link_by_e_mail_and_downloads_everything(
        client, household, django_capture_on_commit_callbacks, settings):
    settings.PORTAIL_BASE_URL = "https://famille.kerbrume.example"
    client.force_login(household.user)
    assert "Télécharger toutes nos données" in visible_text(client.get("/famille/profil/"))
    page = ask(client, django_capture_on_commit_callbacks)
    assert any("vous recevrez par e-mail" in m for m in flash_messages(page))

    link = e_mailed_link(household)
    assert link.startswith("https://famille.kerbrume.example/famille/mes-donnees/")
    response = client.get(path_of(link))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("donnees.json"))
    assert data["dossiers"][0]["allergies"] == "Kiwi et fruits à coque : trousse PAI"
    assert [c["first_name"] for c in data["enfants"]] == ["Inès"]
    names = archive.namelist()
    tax_notice = next(d for d in data["documents"] if d["original_name"] == "avis-2026.pdf")
    assert archive.read(tax_notice["fichier_dans_l_archive"]).startswith(b"%PDF")
    invoice = data["factures"][0]
    assert f"factures/facture-{invoice['number']}.pdf" in names
    assert all("password" not in row for row in data["responsables"])

    event = FamilyEvent.objects.filter(family=household.family, summary__contains="téléchargée")
    assert event.get().actor == household.user


def test_another_household_gets_404_and_one_export_at_a_time(
        client, household, other_guardian, django_capture_on_commit_callbacks):
    client.force_login(household.user)
    ask(client, django_capture_on_commit_callbacks)
    link = e_mailed_link(household)

    client.force_login(other_guardian.user)
    assert client.get(path_of(link)).status_code == 404

    # A build in progress (its task not run yet): a second request is refused in French.
    client.force_login(household.user)
    DataExport.objects.create(family=household.family, requested_by=household.user)
    page = client.post(ASK, follow=True)
    assert any("déjà en préparation" in m for m in flash_messages(page))
    assert DataExport.objects.filter(family=household.family).count() == 2


def test_an_expired_link_is_refused_in_french_then_beat_deletes_the_file(
        client, household, django_capture_on_commit_callbacks):
    client.force_login(household.user)
    ask(client, django_capture_on_commit_callbacks)
    path = path_of(e_mailed_link(household))
    export = DataExport.objects.get()
    stored = export.file.path
    export.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    export.save()

    response = client.get(path)
    assert response.status_code == 410
    assert "Ce lien de téléchargement a expiré" in visible_text(response)
    assert not FamilyEvent.objects.filter(summary__contains="téléchargée").exists()

    assert personal_data.tidy_exports() == 1
    export.refresh_from_db()
    assert export.state == DataExport.State.EXPIRED and not export.file
    assert not os.path.exists(stored)
    assert client.get(path).status_code == 410


def test_the_archive_is_kept_in_the_private_storage_outside_any_web_root(household, settings):
    export = personal_data.request_export(household.user, household.family)
    personal_data.build_export(export.pk)
    export.refresh_from_db()
    assert export.file.name.startswith("exports/")
    assert export.file.path.startswith(os.path.abspath(settings.PRIVATE_MEDIA_ROOT))


def test_a_guardian_of_the_same_household_downloads_too(
        client, household, django_capture_on_commit_callbacks):
    second = GuardianFactory(family=household.family)
    client.force_login(household.user)
    ask(client, django_capture_on_commit_callbacks)
    path = path_of(e_mailed_link(household))
    client.force_login(second.user)
    assert client.get(path).status_code == 200


def test_the_dpo_reads_who_asked_for_an_export_never_the_archive(
        client, household, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    from tests.scenarios.accounts import StaffFactory, login

    client.force_login(household.user)
    ask(client, django_capture_on_commit_callbacks)
    export = DataExport.objects.get()
    register = "/gestion/portail/dataexport/"
    assert login(StaffFactory()).get(register).status_code == 403  # not the service's work
    dpo = StaffFactory()
    dpo.user_permissions.add(Permission.objects.get(codename="view_dataexport"))
    page = login(dpo).get(register)
    assert page.status_code == 200
    text = visible_text(page)
    assert str(household.family) in text and "Prête" in text
    html = page.content.decode() + login(dpo).get(
        f"{register}{export.pk}/change/").content.decode()
    assert os.path.basename(export.file.name) not in html  # no link to the archive
    assert f"/famille/mes-donnees/{export.pk}/" not in html


def test_the_export_holds_the_priorities_the_erasure_requests_and_the_earlier_copies(
        client, household, django_capture_on_commit_callbacks):
    """What the service decided about the household is the household's data too: a priority
    staff set (with its reason), its requests to close the account, its earlier copies."""
    from portail.models import ErasureRequest
    from reservations.models import AllocationPriority
    from tests.scenarios.accounts import StaffFactory

    child = household.family.children.get()
    AllocationPriority.objects.create(child=child, note="Suivi par le service social",
                                      set_by=StaffFactory())
    ErasureRequest.objects.create(family=household.family, requested_by=household.user,
                                  state=ErasureRequest.State.CANCELLED)
    client.force_login(household.user)
    ask(client, django_capture_on_commit_callbacks)
    response = client.get(path_of(e_mailed_link(household)))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("donnees.json"))
    assert [p["note"] for p in data["priorites_d_attribution"]] == [
        "Suivi par le service social"]
    assert [r["state"] for r in data["demandes_d_effacement"]] == ["cancelled"]
    assert [c["state"] for c in data["copies_des_donnees"]] == ["building"]
    assert all("file" not in c for c in data["copies_des_donnees"])
