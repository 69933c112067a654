"""Public URLs without a reverse() per call.

``reverse()`` costs ~30 µs, and long lists (the timeline, feeds, exports of 100,000
pledges, sitemaps) build one or more per row. The URL of a named route is the same
for every slug but the slug itself, so each route is reversed once per process (and
script prefix) and completed by joining strings.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

_SLUG = "__slug__"


@functools.lru_cache(maxsize=64)
def _around_slug(name, prefix):
    return reverse(name, kwargs={"slug": _SLUG}).split(_SLUG)


@functools.lru_cache(maxsize=64)
def _fixed(name, prefix):
    return reverse(name)


def slug_url(name, slug):
    """``reverse(name, kwargs={"slug": slug})`` for a route whose only argument is a slug.

    Slugs are validated to ``[-a-zA-Z0-9_]``, which URLs carry as they are.
    """
    before, after = _around_slug(name, get_script_prefix())
    return f"{before}{slug}{after}"


def fixed_url(name):
    """``reverse(name)`` for a route without arguments."""
    return _fixed(name, get_script_prefix())


@receiver(setting_changed)
def _forget_urls(setting, **kwargs):
    # Tests swap the URLconf; Django clears its own URL caches then, and so do we.
    if setting == "ROOT_URLCONF":
        _around_slug.cache_clear()
        _fixed.cache_clear()
