from django.conf import settings


def client_ip(request):
    """The address of the client, trusting only as many X-Forwarded-For hops as we have proxies.

    Each trusted proxy appends the address it saw, so the client is the entry that many
    places from the end. Entries further left are whatever the client claimed and are ignored.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
