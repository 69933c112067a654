"""Signed links for the alert emails, one salt per purpose.

A token for one purpose never works for another, and tokens carry only row ids
(never the address, which would otherwise sit in server logs). Confirmation
links expire; unsubscribe and manage links must keep working in old emails.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM = "commitments.alerts.confirm"
UNSUBSCRIBE = "commitments.alerts.unsubscribe"
MANAGE = "commitments.alerts.manage"


class BadToken(Exception):
    """The link is damaged, expired or meant for something else."""


def _signer(purpose):
    # Confirmations carry a timestamp so they can expire; the other links are
    # stable, so every alert to an address carries the same unsubscribe URL.
    if purpose == CONFIRM:
        return signing.TimestampSigner(salt=purpose)
    return signing.Signer(salt=purpose)


def make(purpose, pk):
    return _signer(purpose).sign_object(pk)


def read(purpose, token):
    signer = _signer(purpose)
    try:
        if purpose == CONFIRM:
            max_age = dt.timedelta(days=settings.TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS)
            value = signer.unsign_object(token, max_age=max_age)
        else:
            value = signer.unsign_object(token)
    except (signing.BadSignature, ValueError) as exc:  # SignatureExpired is a BadSignature
        raise BadToken(str(exc)) from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken("unexpected payload")
    return value


def absolute_url(name, purpose, pk):
    return settings.SITE_URL + reverse(name, kwargs={"token": make(purpose, pk)})


def confirm_url(subscription):
    return absolute_url("commitments:alerts-confirm", CONFIRM, subscription.pk)


def unsubscribe_url(subscriber):
    return absolute_url("commitments:alerts-unsubscribe", UNSUBSCRIBE, subscriber.pk)


def manage_url(subscriber):
    return absolute_url("commitments:alerts-manage", MANAGE, subscriber.pk)
