"""The production cache backend: Django's Redis cache with one client per pool."""

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from ground.redis_cache import Cache


@pytest.fixture
def redis_cache():
    cache = Cache(settings.REDIS_URL, {"KEY_PREFIX": "test-redis-cache"})
    yield cache
    cache.clear()


@pytest.mark.redis
def test_the_cache_works_as_djangos_and_builds_its_client_once(redis_cache, monkeypatch):
    built = []
    original = redis_cache._cache._client
    monkeypatch.setattr(redis_cache._cache, "_client",
                        lambda **kwargs: built.append(kwargs) or original(**kwargs))
    assert redis_cache.add("drapeau", True, 60) is True
    assert redis_cache.add("drapeau", True, 60) is False  # already there
    redis_cache.set("séance", {"_auth_user_id": "12"}, 60)
    assert redis_cache.get("séance") == {"_auth_user_id": "12"}
    redis_cache.delete("drapeau")
    assert redis_cache.get("drapeau") is None
    assert len(built) == 1
    assert isinstance(redis_cache, RedisCache)
