"""The right-of-reply emails: the request and its one reminder to the company's contacts,
and the two staff notes (a reply arrived; the reply-by day ended with none).

Each builder re-reads the request when the message is about to go, and raises
``Obsolete`` if it is no longer true: a cancelled request sends nothing more, an answered
one no reminder and no "no response" note.
"""

from django.conf import settings
from django.urls import reverse

from commitments.domain import calendar, reply_tokens
from commitments.mail.messages import Obsolete, absolute, render
from commitments.models import Reply, ReplyRequest


def _request(notification):
    request = (
        ReplyRequest.objects.select_related("pledge__company", "pledge__owner")
        .filter(pk=ReplyRequest.pk_from_occurrence(notification.occurrence))
        .first()
    )
    if request is None:
        raise Obsolete("The request was deleted.")
    if request.cancelled_at is not None:
        raise Obsolete("The request was cancelled.")
    return request


def _company_context(notification, request):
    contact = request.contacts.filter(email__iexact=notification.recipient).first()
    pledge = request.pledge
    return {
        "request": request,
        "pledge": pledge,
        "company": pledge.company,
        "contact": contact,
        "reply_by": request.reply_by,
        "reply_url": reply_tokens.reply_url(request.pk),
        "pledge_url": absolute(pledge.get_absolute_url()),
        "grace_days": settings.TRACKER_REPLY_GRACE_DAYS,
    }


def _staff_context(request):
    return {
        "request": request,
        "pledge": request.pledge,
        "company": request.pledge.company,
        "reply_by": request.reply_by,
        "admin_url": absolute(reverse("admin:commitments_replyrequest_change", args=[request.pk])),
    }


def request_for_comment(notification):
    request = _request(notification)
    if request.answered_at is not None:
        raise Obsolete("The company has already replied.")
    company = request.pledge.company
    return render(
        notification,
        "reply_request",
        f"Request for comment: {company.name}'s pledge “{request.pledge.title}”",
        _company_context(notification, request),
    )


def reply_reminder(notification):
    request = _request(notification)
    if request.answered_at is not None:
        raise Obsolete("The company has already replied.")
    if request.reply_by < calendar.today():
        raise Obsolete("The reply-by date has passed.")
    return render(
        notification,
        "reply_reminder",
        f"Reminder: request for comment on “{request.pledge.title}”",
        _company_context(notification, request),
    )


def reply_received(notification):
    request = _request(notification)
    reply = Reply.objects.filter(request=request).first()
    if reply is None:
        raise Obsolete("No reply on file.")
    return render(
        notification,
        "reply_received",
        f"{request.pledge.company.name} replied: {request.pledge}",
        {**_staff_context(request), "reply": reply},
    )


def reply_lapsed(notification):
    request = _request(notification)
    if request.answered_at is not None:
        raise Obsolete("The company replied after all.")
    return render(
        notification,
        "reply_lapsed",
        f"No response from {request.pledge.company.name} by {calendar.human_date(request.reply_by)}: "
        f"{request.pledge}",
        _staff_context(request),
    )
