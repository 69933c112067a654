"""The client's address, derived once for every per-IP limit.

django-axes (``AXES_CLIENT_IP_CALLABLE``) and django-ratelimit (``RATELIMIT_IP_META_KEY``,
used by every ``key="ip"`` limit) both call ``client_ip``, so a login lockout and a sign-up
limit always agree on who the client is. Behind a proxy ``REMOTE_ADDR`` is the proxy: keying
on it would let one abuser use up everybody's allowance.
"""

import ipaddress

from django.conf import settings


def _valid(address):
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_ip(request):
    """The address of the client, trusting only as many X-Forwarded-For hops as we have proxies.

    Each trusted proxy appends the address it saw, so the client is the entry that many
    places from the end. Entries further left are whatever the client claimed and are ignored.
    A request with fewer entries than trusted proxies did not come through all of them, and
    an entry that is not an address was not written by our proxy: both fall back to the
    connecting address rather than trusting the header.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return _valid(forwarded[-hops]) or remote
    return remote
