"""Where the tracker lives, read from ``SITE_URL`` in one place.

Absolute links, feed entry ids, calendar UIDs and Message-IDs all derive from it, never
from a request's Host header (which differs between allowed hosts and proxies).
"""

from urllib.parse import urlsplit

from django.conf import settings


def scheme():
    """ "https" for https://tracker.example.org."""
    return urlsplit(settings.SITE_URL).scheme


def address():
    """SITE_URL without its scheme: "tracker.example.org" (with port and path, if any)."""
    return settings.SITE_URL.split("://", 1)[-1]


def hostname():
    """The bare host name, for identifiers that must not carry a port or path."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path):
    """An absolute URL on the tracker for a path such as "/admin/"."""
    return settings.SITE_URL + path
