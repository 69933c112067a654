"""A Redis cache that degrades instead of failing.

The page cache and rate-limit counters are optimisations: if Redis is down the
site must keep serving pages (slower), not answer 500. Reads miss, writes are
dropped, and the outage is logged once per minute per process.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
    _last_warning = 0.0

    def _warn(self, exc):
        now = time.monotonic()
        if now - ForgivingRedisCache._last_warning > 60:
            ForgivingRedisCache._last_warning = now
            logger.warning("cache unavailable, serving without it: %s", exc)

    def _forgive(name, fallback=None):  # noqa: N805 - a decorator factory used in the class body
        def method(self, *args, **kwargs):
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                self._warn(exc)
                return fallback

        method.__name__ = name
        return method

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return default

    set = _forgive("set", False)
    add = _forgive("add", False)
    delete = _forgive("delete", False)
    touch = _forgive("touch", False)
    get_many = _forgive("get_many", {})
    set_many = _forgive("set_many", [])
    delete_many = _forgive("delete_many")
    has_key = _forgive("has_key", False)
    clear = _forgive("clear", False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            # Rate limiters treat an unknown count as "not over the limit".
            return delta

    del _forgive
