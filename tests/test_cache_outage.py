"""The cache is an optimisation: with Redis unreachable, pages are served, not 500s."""

import pytest
from django.core.cache import caches
from django.core.management import call_command


@pytest.fixture
def unreachable_redis_cache(settings):
    # Port 9 (discard) on loopback: nothing listens, so every command fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # Changing the setting makes Django rebuild its cache handlers.
    return caches["default"]


def test_cache_operations_degrade_to_misses(unreachable_redis_cache):
    cache = unreachable_redis_cache
    assert cache.set("k", "v") is False
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    assert cache.incr("k") == 1
    assert cache.get_many(["a", "b"]) == {}


@pytest.mark.django_db
def test_public_pages_are_served_with_the_cache_down(client, unreachable_redis_cache):
    call_command("load_demo")
    assert client.get("/").status_code == 200
    assert client.get("/pledges/amazon-rekognition-police-moratorium/").status_code == 200
