"""The session's user: read with his family in one query, the former backends' sessions kept."""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from familles.models import Guardian, User
from tests.helpers import page_text

migration = importlib.import_module("familles.migrations.0004_session_backend_paths")


def session_cookie_for(user, backend_path) -> str:
    """A session as a login under `backend_path` left it (database and cache)."""
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = backend_path
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.save()
    return store.session_key


@pytest.mark.django_db
def test_a_parent_page_reads_the_user_and_his_family_in_one_query(parent_client, guardian):
    with CaptureQueriesContext(connection) as ctx:
        response = parent_client.get("/famille/")
    assert response.status_code == 200
    assert guardian.family.name in page_text(response)
    user_table, guardian_table = User._meta.db_table, Guardian._meta.db_table
    user_reads = [q["sql"] for q in ctx.captured_queries
                  if q["sql"].startswith(f'SELECT "{user_table}"."id"')]
    assert len(user_reads) == 1 and f'JOIN "{guardian_table}"' in user_reads[0], user_reads
    by_user = [q["sql"] for q in ctx.captured_queries  # the family asked again by the user
               if f'"{guardian_table}"."user_id" =' in q["sql"].split("WHERE", 1)[-1]]
    assert by_user == []


@pytest.mark.django_db
def test_an_account_made_inactive_is_logged_out_at_its_next_request(parent_client, guardian):
    guardian.user.is_active = False
    guardian.user.save(update_fields=["is_active"])
    response = parent_client.get("/famille/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_a_staff_member_without_a_family_is_still_recognised(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/gestion/")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("former_path", sorted(migration.FORMER_PATHS))
def test_sessions_of_the_former_backends_stay_logged_in_after_the_migration(
    client, guardian, former_path,
):
    key = session_cookie_for(guardian.user, former_path)
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get("/famille/").status_code == 302  # the former path is no longer trusted

    key = session_cookie_for(guardian.user, former_path)
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    migration.forwards(apps, None)
    response = client.get("/famille/")
    assert response.status_code == 200
    assert guardian.family.name in page_text(response)
    assert SessionStore(key).load()["_auth_user_backend"] == migration.FORMER_PATHS[former_path]

    migration.backwards(apps, None)  # and back, should the upgrade be undone
    assert SessionStore(key).load()["_auth_user_backend"] == former_path
