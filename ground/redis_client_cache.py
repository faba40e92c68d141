"""A Redis cache backend that keeps one `redis.Redis` client (a custom cache backend, as
Django documents them: `BaseCache`'s public interface over redis-py's public client).

Django's own `RedisCache` builds a new `redis.Redis` for every cache operation, about 60 µs of
CPU each here (half of a session's `get`); every parent request reads its session from this
cache and every booking sets the outbox's flag (docs/performance.md, "Issue 22"). A
`redis.Redis` is safe to share between threads (each command borrows a connection from its
pool) and its pool starts afresh in a forked process.

What is stored is what Django's `RedisCache` stores (an int as itself, anything else pickled),
so that either backend reads the other's keys: the sessions survive a switch. One server
only: Django's several-servers form (writes to the first, reads from the others) is not
offered."""

import pickle

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured


class RedisClientCache(BaseCache):
    def __init__(self, server, params):
        super().__init__(params)
        servers = [s for s in server.split(",") if s] if isinstance(server, str) else server
        if len(servers) != 1:
            raise ImproperlyConfigured("RedisClientCache takes one server (LOCATION).")
        options = dict(params.get("OPTIONS", {}))
        self.client = redis.Redis.from_url(servers[0], **options)

    # -- what is stored: Django's RedisSerializer's format ---------------------------------

    @staticmethod
    def dumps(value):
        return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data):
        try:
            return int(data)
        except ValueError:
            return pickle.loads(data)  # noqa: S301 (this cache's own values, as Django's)

    def key(self, key, version=None):
        return self.make_and_validate_key(key, version=version)

    # -- BaseCache ---------------------------------------------------------------------------

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        """Seconds for Redis (None: never expires; 0: not kept), as Django's RedisCache."""
        if timeout == DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, int(timeout))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key, value = self.key(key, version), self.dumps(value)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            return bool(self.client.set(key, value, nx=True)) and bool(self.client.delete(key))
        return bool(self.client.set(key, value, ex=timeout, nx=True))

    def get(self, key, default=None, version=None):
        data = self.client.get(self.key(key, version))
        return default if data is None else self.loads(data)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key, value = self.key(key, version), self.dumps(value)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            self.client.delete(key)
        else:
            self.client.set(key, value, ex=timeout)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key, timeout = self.key(key, version), self.get_backend_timeout(timeout)
        if timeout is None:
            return bool(self.client.persist(key))
        return bool(self.client.expire(key, timeout))

    def delete(self, key, version=None):
        return bool(self.client.delete(self.key(key, version)))

    def get_many(self, keys, version=None):
        keys = {self.key(key, version): key for key in keys}
        found = self.client.mget(keys) if keys else []
        return {keys[k]: self.loads(v) for k, v in zip(keys, found, strict=True)
                if v is not None}

    def has_key(self, key, version=None):
        return bool(self.client.exists(self.key(key, version)))

    def incr(self, key, delta=1, version=None):
        key = self.key(key, version)
        if not self.client.exists(key):
            raise ValueError(f"Key '{key}' not found.")
        return self.client.incr(key, delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        values = {self.key(k, version): self.dumps(v) for k, v in data.items()}
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            self.client.delete(*values)
            return []
        pipeline = self.client.pipeline()
        pipeline.mset(values)
        if timeout is not None:
            for key in values:
                pipeline.expire(key, timeout)
        pipeline.execute()
        return []

    def delete_many(self, keys, version=None):
        keys = [self.key(key, version) for key in keys]
        if keys:
            self.client.delete(*keys)

    def clear(self):
        return bool(self.client.flushdb())
