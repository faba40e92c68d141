"""The production cache backend (ground.redis_client_cache): Django's cache interface on a
real Redis, and the same stored values as Django's own RedisCache (either reads the other's
keys, so sessions survive the switch)."""

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from ground.redis_client_cache import RedisClientCache

pytestmark = pytest.mark.redis


@pytest.fixture
def caches():
    prefix = f"test-cache-{uuid.uuid4().hex}"
    params = {"KEY_PREFIX": prefix, "TIMEOUT": 60}
    ours = RedisClientCache(settings.REDIS_URL, params)
    django_own = RedisCache(settings.REDIS_URL, params)
    yield ours, django_own
    keys = list(ours.client.scan_iter(f"{prefix}:*"))
    if keys:
        ours.client.delete(*keys)


def test_the_cache_interface(caches):
    cache, _django = caches
    assert cache.get("missing", "default") == "default"
    cache.set("session", {"user": 3, "when": "now"})
    assert cache.get("session") == {"user": 3, "when": "now"}
    assert cache.add("session", "other") is False
    assert cache.add("flag", True, 30) is True
    assert cache.get("flag") is True
    assert cache.has_key("flag") and not cache.has_key("missing")
    cache.set("count", 1)
    assert cache.incr("count", 4) == 5
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.set_many({"a": 1, "b": [2]}, 30)
    assert cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2]}
    assert cache.delete("a") is True and cache.delete("a") is False
    cache.delete_many(["b", "count"])
    assert cache.get_many(["b", "count"]) == {}
    cache.set("gone", "x", 0)  # a zero timeout keeps nothing, as Django's
    assert cache.get("gone") is None


def test_expiry(caches):
    cache, _django = caches
    cache.set("kept", "x", None)
    assert cache.client.ttl(cache.make_key("kept")) == -1
    assert cache.touch("kept", 30) is True
    assert 0 < cache.client.ttl(cache.make_key("kept")) <= 30
    cache.set("default", "x")
    assert 0 < cache.client.ttl(cache.make_key("default")) <= 60
    assert cache.touch("missing", 30) is False


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
