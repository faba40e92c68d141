"""Seeding a commune at scale, fast: bulk_create, one password hash, sessions written
straight into the session store (cached_db: the database and the Redis cache)."""

import datetime
import random

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.cached_db import KEY_PREFIX, SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import get_random_string

BATCH = 2000
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def school_year_for(day: datetime.date):
    from inscriptions.models import SchoolYear

    start = day.year if day.month >= 9 else day.year - 1
    now = timezone.now()
    return SchoolYear.objects.create(
        label=f"{start}-{start + 1}", start_date=datetime.date(start, 9, 1),
        end_date=datetime.date(start + 1, 8, 31),
        reregistration_opens_at=now - datetime.timedelta(days=200),
        reregistration_deadline=now - datetime.timedelta(days=150), rules_version="bench-1")


def wednesdays_and_year(today: datetime.date, count: int):
    """`count` Wednesdays from a week ahead (every deadline rule is far enough) and a school
    year holding them all."""
    wednesdays = wednesdays_from(today + datetime.timedelta(days=7), count)
    year = school_year_for(wednesdays[0])
    if wednesdays[-1] > year.end_date:
        year.end_date = wednesdays[-1] + datetime.timedelta(days=1)
        year.save(update_fields=["end_date"])
    return wednesdays, year


def families(n_families: int, n_children: int, guardians_per_family: int, *, rng):
    """Families, their guardians' accounts (verified e-mail) and their children."""
    from allauth.account.models import EmailAddress

    from familles.models import Child, Family, Guardian, User

    password = make_password("bench-password-never-used-0001")  # hashed once for all
    fams = Family.objects.bulk_create(
        [Family(name=f"Famille Banc {i}", address=f"{i} rue des Écoles", postal_code="56000",
                city="Kerbrume") for i in range(n_families)], batch_size=BATCH)
    users = User.objects.bulk_create(
        [User(email=f"parent{i}-{g}@bench.example", password=password)
         for i in range(n_families) for g in range(guardians_per_family)], batch_size=BATCH)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=BATCH)
    guardians = Guardian.objects.bulk_create(
        [Guardian(user=users[i * guardians_per_family + g], family=fams[i],
                  first_name=("Camille", "Dominique")[g % 2], last_name=f"Banc{i}",
                  relation=("mother", "father")[g % 2], mobile_phone="06 12 34 56 78")
         for i in range(n_families) for g in range(guardians_per_family)], batch_size=BATCH)
    # The first (n_children - n_families) families have two children, the others one.
    two = n_children - n_families
    children = Child.objects.bulk_create(
        [Child(family=fams[i], first_name=f"Enfant{i}-{k}", last_name=f"Banc{i}",
               birth_date=datetime.date(rng.randint(2015, 2022), rng.randint(1, 12),
                                        rng.randint(1, 28)),
               sex=rng.choice("FM"), school="École du Centre", school_class="CE1")
         for i in range(n_families) for k in range(2 if i < two else 1)], batch_size=BATCH)
    return fams, users, guardians, children


def annual_files(children, year, validator) -> None:
    from inscriptions.models import AnnualFile

    now = timezone.now()
    AnnualFile.objects.bulk_create(
        [AnnualFile(child=c, school_year=year, state=AnnualFile.State.VALIDATED,
                    vaccinations_up_to_date=True, diet=AnnualFile.Diet.NONE,
                    school=c.school, school_class=c.school_class, photo_consent=True,
                    outings_consent=True, emergency_care_consent=True,
                    rules_version_accepted=year.rules_version, rules_accepted_at=now,
                    submitted_at=now, decided_at=now, decided_by=validator)
         for c in children], batch_size=BATCH)


def activity(year, site, *, kind, name, days, weekdays, unit_label):
    from inscriptions.models import Activity

    act = Activity.objects.create(school_year=year, kind=kind, name=name, days=days,
                                  weekdays=weekdays, validation="automatic",
                                  needs_reservation=True,
                                  allows_subscription=kind == "canteen")
    act.sites.set([site])
    unit = act.units.create(label=unit_label, position=0)
    return act, unit


def enrol(children, act, site, requested_by: dict) -> None:
    from inscriptions.models import Enrolment

    now = timezone.now()
    Enrolment.objects.bulk_create(
        [Enrolment(child=c, activity=act, site=site, state="validated",
                   requested_by=requested_by[c.family_id], decided_at=now)
         for c in children], batch_size=BATCH)


def slots(act, unit, site, days, capacity: int):
    from reservations.models import CapacityRule, Slot

    CapacityRule.objects.create(activity=act, site=site, capacity=capacity)
    return Slot.objects.bulk_create(
        [Slot(activity=act, unit=unit, site=site, date=d, capacity=capacity) for d in days])


def history(act, unit, site, days, capacity: int) -> int:
    """Every child booked on these past days: the reservations a commune's database already
    holds on opening day, whose statistics PostgreSQL plans the rush's reads with. One
    statement; returns the number of rows."""
    from django.db import connection

    from reservations.models import Slot

    past = Slot.objects.bulk_create(
        [Slot(activity=act, unit=unit, site=site, date=d, capacity=capacity, booked=capacity)
         for d in days])
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO reservations_reservation (child_id, slot_id, family_id, state, source,
                created_at, confirmed_at, cancelled_late)
            SELECT child.id, slot.id, child.family_id, 'confirmed', 'parent', now(), now(),
                false
            FROM familles_child AS child CROSS JOIN reservations_slot AS slot
            WHERE slot.id = ANY(%s)""", [[slot.pk for slot in past]])
        return cursor.rowcount


def sessions(users, *, warm_cache: bool = True) -> dict[int, str]:
    """A logged-in session per user, as if each had logged in days before the opening.

    All users share one password hash, so one session-auth hash serves them all."""
    from familles.models import User

    store = SessionStore()
    auth_hash = User.objects.get(pk=users[0].pk).get_session_auth_hash()
    backend = settings.AUTHENTICATION_BACKENDS[0]
    expire = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys: dict[int, str] = {}
    rows, cached = [], {}
    for user in users:
        key = get_random_string(32, SESSION_KEY_CHARS)
        data = {"_auth_user_id": str(user.pk), "_auth_user_backend": backend,
                "_auth_user_hash": auth_hash}
        rows.append(Session(session_key=key, session_data=store.encode(data),
                            expire_date=expire))
        cached[KEY_PREFIX + key] = data
        keys[user.pk] = key
    Session.objects.bulk_create(rows, batch_size=BATCH)
    if warm_cache:
        cache = caches[settings.SESSION_CACHE_ALIAS]
        items = list(cached.items())
        for start in range(0, len(items), BATCH):
            cache.set_many(dict(items[start:start + BATCH]),
                           timeout=settings.SESSION_COOKIE_AGE)
    return keys


def wednesdays_from(day: datetime.date, count: int) -> list[datetime.date]:
    first = day + datetime.timedelta(days=(2 - day.weekday()) % 7)
    return [first + datetime.timedelta(weeks=w) for w in range(count)]


def rng_for(seed: int) -> random.Random:
    return random.Random(seed)
