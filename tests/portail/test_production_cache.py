"""The production cache (django-redis, chosen because it keeps its redis-py client where
Django's own RedisCache builds one per operation: docs/performance.md, "Issue 22"). It stores
what Django's backend stores, so either reads the other's keys: the sessions written before
the switch survive it."""

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django_redis.cache import RedisCache as DjangoRedisCache

from tests.production_stack import production_environment, production_settings

pytestmark = pytest.mark.redis


@pytest.fixture
def caches():
    prefix = f"test-cache-{uuid.uuid4().hex}"
    params = {"KEY_PREFIX": prefix, "TIMEOUT": 60}
    ours = DjangoRedisCache(settings.REDIS_URL, params)
    django_own = RedisCache(settings.REDIS_URL, params)
    yield ours, django_own
    ours.delete_pattern("*")


def test_production_uses_it(tmp_path):
    env = production_environment(redis_url=settings.REDIS_URL, private_root=tmp_path)
    cache = production_settings(env, "CACHES")["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == settings.REDIS_URL


def test_values_shared_with_djangos_own_backend(caches):
    ours, django_own = caches
    django_own.set("from-django", {"a": [1, 2]})
    django_own.set("number", 7)
    assert ours.get("from-django") == {"a": [1, 2]}
    assert ours.get("number") == 7
    ours.set("from-ours", ("x", 1.5))
    ours.set("other-number", 12)
    assert django_own.get("from-ours") == ("x", 1.5)
    assert django_own.incr("other-number") == 13
    assert ours.add("flag", True, 30) is True and django_own.get("flag") is True


def test_one_client_is_kept(caches):
    ours, _django = caches
    ours.get("warm")
    assert ours.client.get_client(write=False) is ours.client.get_client(write=False)
