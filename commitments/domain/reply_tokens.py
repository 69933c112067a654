"""The signed link in a request for comment: tied to one request, nothing else.

The token carries only the request's id, signed with its own salt (an alert link never
works here, nor this one there). Whether the link still works — not cancelled, not past
the reply-by day plus the grace days — is decided from the request row when it is used,
so staff cancelling a request kills its link at once, and a reply-by date moved by staff
moves the link's expiry with it.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "commitments.replies.request"


class BadToken(Exception):
    """The link is damaged or was made for something else."""


def make(request_pk):
    return signing.Signer(salt=SALT).sign_object(request_pk)


def read(token):
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError) as exc:
        raise BadToken(str(exc)) from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken("unexpected payload")
    return value


def reply_url(request_pk):
    return settings.SITE_URL + reverse("commitments:reply", kwargs={"token": make(request_pk)})
