"""Public URLs without a reverse() per call.

``reverse()`` costs ~30 µs, and long lists (the timeline, feeds, exports of 100,000
pledges, sitemaps, 10,000 alert emails) build one or more per row. The URL of a named
route is the same for every slug (or token) but that part, so each route is reversed
once per process (and script prefix) and completed by joining strings.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

_STAND_IN = "__stand_in__"


@functools.lru_cache(maxsize=64)
def _around(name, argument, prefix):
    return reverse(name, kwargs={argument: _STAND_IN}).split(_STAND_IN)


@functools.lru_cache(maxsize=64)
def _fixed(name, prefix):
    return reverse(name)


def url(name, **argument):
    """``reverse(name, kwargs=argument)`` for a route with one argument.

    Only for values URLs carry as they are: slugs (validated to ``[-a-zA-Z0-9_]``) and
    signed tokens (base64url and ``:``), which reverse() would not quote either.
    """
    [(key, value)] = argument.items()
    before, after = around(name, key)
    return f"{before}{value}{after}"


def around(name, argument):
    """What comes before and after ``argument``'s value in ``name``'s URL, for loops that
    build many (even finding the script prefix costs more than joining the strings)."""
    return _around(name, argument, get_script_prefix())


def fixed_url(name):
    """``reverse(name)`` for a route without arguments."""
    return _fixed(name, get_script_prefix())


@receiver(setting_changed)
def _forget_urls(setting, **kwargs):
    # Tests swap the URLconf; Django clears its own URL caches then, and so do we.
    if setting == "ROOT_URLCONF":
        _around.cache_clear()
        _fixed.cache_clear()
