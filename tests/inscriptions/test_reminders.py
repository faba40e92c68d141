"""E-mails sent by Celery beat: the campaign opening, the deadline reminder, expiring
documents. Each is sent once, however many times beat runs the task."""

import datetime
import zoneinfo

import pytest
from celery import Task
from django.conf import settings
from django.core import mail
from django.utils.module_loading import import_string

from familles import tasks as familles_tasks
from familles.models import Document
from ground.commune import commune
from inscriptions import tasks
from inscriptions.models import AnnualFile
from tests.scenarios.enrolments import AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, FamilyFactory, GuardianFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a beat task as beat would (eager here), commit, and return what was e-mailed."""

    def run_task(task):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            task.delay()
        return list(mail.outbox)

    return run_task


@pytest.fixture
def years(db):
    previous = SchoolYearFactory(
        start_year=2026, reregistration_opens_at=paris(2026, 5, 4, 8, 0),
        reregistration_deadline=paris(2026, 6, 14, 23, 59), rules_version="2026-1")
    current = SchoolYearFactory(
        start_year=2027, reregistration_opens_at=paris(2027, 5, 3, 8, 0),
        reregistration_deadline=paris(2027, 6, 13, 23, 59), rules_version="2027-1")
    return previous, current


def family_with(name, *first_names, second_family=None):
    guardian = GuardianFactory(family=FamilyFactory(name=name))
    children = [ChildFactory(family=guardian.family, first_name=first, last_name=name.split()[-1],
                             second_family=second_family) for first in first_names]
    return guardian, children


def recipients(messages) -> set[str]:
    return {address for m in messages for address in m.to}


# Campaign opening -------------------------------------------------------------------------

def test_opening_notice_goes_to_last_years_families_once(run, years, time_machine):
    previous, current = years
    validated, [lou] = family_with("Famille Martin", "Lou")
    AnnualFileFactory(child=lou, school_year=previous, validated=True)
    only_submitted, [noe] = family_with("Famille Bernard", "Noé")
    AnnualFileFactory(child=noe, school_year=previous, submitted=True)
    newcomer, _children = family_with("Famille Nouvelle", "Zoé")
    # Shared custody: the second household is told too.
    second_home = GuardianFactory(family=FamilyFactory(name="Famille Durand"))
    shared, [ines] = family_with("Famille Petit", "Inès", second_family=second_home.family)
    AnnualFileFactory(child=ines, school_year=previous, validated=True)

    time_machine.move_to(paris(2027, 5, 3, 7, 45), tick=False)
    assert run(tasks.send_campaign_opening_notices) == []
    current.refresh_from_db()
    assert current.opening_notice_sent_at is None

    time_machine.move_to(paris(2027, 5, 3, 8, 0), tick=False)
    sent = run(tasks.send_campaign_opening_notices)
    assert recipients(sent) == {validated.user.email, shared.user.email,
                                second_home.user.email}
    assert only_submitted.user.email not in recipients(sent)
    assert newcomer.user.email not in recipients(sent)
    message = next(m for m in sent if m.to == [validated.user.email])
    assert message.subject == ("Réinscriptions 2027-2028 : le dossier administratif est "
                               "ouvert")
    assert "ouvertes jusqu'au 13 juin 2027" in message.body
    assert "Créer une inscription" in message.body
    current.refresh_from_db()
    assert current.opening_notice_sent_at is not None

    time_machine.move_to(paris(2027, 5, 3, 8, 15), tick=False)
    assert run(tasks.send_campaign_opening_notices) == []
    time_machine.move_to(paris(2027, 5, 20, 8, 15), tick=False)
    assert run(tasks.send_campaign_opening_notices) == []


def test_no_opening_notice_after_the_deadline(run, years, time_machine):
    previous, _current = years
    _guardian, [lou] = family_with("Famille Martin", "Lou")
    AnnualFileFactory(child=lou, school_year=previous, validated=True)
    time_machine.move_to(paris(2027, 6, 14, 9, 0), tick=False)
    assert run(tasks.send_campaign_opening_notices) == []


# Deadline reminder ------------------------------------------------------------------------

def test_deadline_reminder_lists_the_children_still_missing_once(run, years, time_machine):
    previous, current = years
    days = commune().reregistration_reminder_days
    deadline = current.reregistration_deadline

    # Lou's file is a draft, Tom's is submitted: the reminder names Lou only.
    martin, [lou, tom] = family_with("Famille Martin", "Lou", "Tom")
    AnnualFileFactory(child=lou, school_year=previous, validated=True)
    AnnualFileFactory(child=lou, school_year=current)
    AnnualFileFactory(child=tom, school_year=current, submitted=True)
    # No file yet this year.
    bernard, [noe] = family_with("Famille Bernard", "Noé")
    AnnualFileFactory(child=noe, school_year=previous, validated=True)
    # Returned by the staff and not sent back yet.
    petit, [ines] = family_with("Famille Petit", "Inès")
    AnnualFileFactory(child=ines, school_year=current, state=AnnualFile.State.RETURNED,
                      submitted_at=paris(2027, 5, 10, 9, 0), staff_comment="Pièce illisible")
    # All done: submitted or validated.
    done, [zoe, hugo] = family_with("Famille Leroy", "Zoé", "Hugo")
    AnnualFileFactory(child=zoe, school_year=previous, validated=True)
    AnnualFileFactory(child=zoe, school_year=current, submitted=True)
    AnnualFileFactory(child=hugo, school_year=current, validated=True)

    time_machine.move_to(deadline - datetime.timedelta(days=days, hours=1), tick=False)
    assert run(tasks.send_campaign_deadline_reminders) == []

    time_machine.move_to(deadline - datetime.timedelta(days=days - 1), tick=False)
    sent = run(tasks.send_campaign_deadline_reminders)
    assert recipients(sent) == {martin.user.email, bernard.user.email, petit.user.email}
    assert done.user.email not in recipients(sent)
    assert len(sent) == 3
    by_family = {m.to[0]: m for m in sent}
    message = by_family[martin.user.email]
    assert message.subject == ("Rappel : dossiers administratifs 2027-2028 à transmettre "
                               "avant le 13 juin")
    assert "La date limite des réinscriptions 2027-2028 est le 13 juin 2027 à 23h59." in (
        message.body)
    assert "- Lou Martin" in message.body
    assert "Tom" not in message.body
    assert "- Noé Bernard" in by_family[bernard.user.email].body
    assert "- Inès Petit" in by_family[petit.user.email].body
    current.refresh_from_db()
    assert current.deadline_reminder_sent_at is not None

    assert run(tasks.send_campaign_deadline_reminders) == []
    time_machine.move_to(deadline - datetime.timedelta(days=1), tick=False)
    assert run(tasks.send_campaign_deadline_reminders) == []


def test_no_deadline_reminder_once_the_deadline_has_passed(run, years, time_machine):
    previous, current = years
    _guardian, [lou] = family_with("Famille Martin", "Lou")
    AnnualFileFactory(child=lou, school_year=previous, validated=True)
    time_machine.move_to(current.reregistration_deadline + datetime.timedelta(minutes=1),
                         tick=False)
    assert run(tasks.send_campaign_deadline_reminders) == []


# Expiring documents -----------------------------------------------------------------------

def test_expiry_notice_once_per_document_within_30_days(run, time_machine):
    guardian, [lou] = family_with("Famille Martin", "Lou")
    family = guardian.family
    soon = DocumentFactory(family=family, kind=Document.Kind.CAF, original_name="caf.pdf",
                           valid_until=datetime.date(2027, 3, 20))
    later = DocumentFactory(family=family, child=lou, kind=Document.Kind.VACCINATION,
                            original_name="carnet.pdf", valid_until=datetime.date(2027, 4, 15))
    DocumentFactory(family=family, original_name="expire.pdf",
                    valid_until=datetime.date(2027, 2, 20))
    DocumentFactory(family=family, original_name="permanent.pdf", valid_until=None)
    other = GuardianFactory(family=FamilyFactory(name="Famille Autre"))

    time_machine.move_to(paris(2027, 3, 1, 9, 30), tick=False)
    [message] = run(familles_tasks.send_document_expiry_notices)
    assert message.to == [guardian.user.email]
    assert other.user.email not in message.to
    assert message.subject == "Attestation CAF : bientôt expiré"
    assert ("Votre document « Attestation CAF » (caf.pdf) n'est valable que jusqu'au "
            "20 mars 2027.") in message.body
    assert "Mes documents" in message.body
    soon.refresh_from_db()
    assert soon.expiry_notice_sent_at is not None

    assert run(familles_tasks.send_document_expiry_notices) == []
    time_machine.move_to(paris(2027, 3, 2, 9, 30), tick=False)
    assert run(familles_tasks.send_document_expiry_notices) == []

    # Later, the second document enters the 30 days; the first one is not sent again.
    time_machine.move_to(paris(2027, 3, 16, 9, 30), tick=False)
    [message] = run(familles_tasks.send_document_expiry_notices)
    assert "carnet.pdf" in message.body and "15 avril 2027" in message.body
    later.refresh_from_db()
    assert later.expiry_notice_sent_at is not None
    assert run(familles_tasks.send_document_expiry_notices) == []


def test_expiry_notice_reaches_every_guardian_of_the_family(run, time_machine):
    guardian, _children = family_with("Famille Martin", "Lou")
    second = GuardianFactory(family=guardian.family, first_name="Alex")
    DocumentFactory(family=guardian.family, valid_until=datetime.date(2027, 3, 20))
    time_machine.move_to(paris(2027, 3, 1, 9, 30), tick=False)
    [message] = run(familles_tasks.send_document_expiry_notices)
    assert sorted(message.to) == sorted([guardian.user.email, second.user.email])


# The beat schedule -------------------------------------------------------------------------

def test_beat_schedule_names_the_reminder_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    names = {entry["task"] for entry in schedule.values()}
    assert {
        "inscriptions.tasks.send_campaign_opening_notices",
        "inscriptions.tasks.send_campaign_deadline_reminders",
        "familles.tasks.send_document_expiry_notices",
    } <= names
    for name in names:
        task = import_string(name)  # every entry names a task that exists
        assert isinstance(task, Task)
        assert task.name == name
