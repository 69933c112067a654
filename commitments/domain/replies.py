"""The right of reply, as workflows: ask, answer, publish or withhold, cancel, and the sweep.

Every email goes through ``Notification`` rows and ``delivery`` (never twice, none lost);
their builders (``commitments.mail.reply_messages``) check at send time that each is still
true. The rows are keyed ``request:<pk>`` per kind and recipient, so the unique
constraint on Notification keeps each email single whatever runs twice.

Submitting a reply (``submit_reply``), in one transaction:
1. Lock the request row and check the link still works (not cancelled, not answered,
   the reply-by day plus the grace days not over).
2. Claim the request: ``UPDATE … SET answered_at = now WHERE pk = … AND answered_at IS
   NULL AND cancelled_at IS NULL``. One row means this submission is the reply; zero means
   another submission (or a cancellation) got there first. The one-to-one column on
   ``Reply`` backs this up: two replies to one request cannot both be stored.
3. Store the reply and queue the staff note (the pledge's owner, else every Reviewer,
   else TRACKER_STAFF_EMAILS) after commit.

The sweep (``sweep_replies``, run with the deadline sweep) claims each step the same way:
the contacts' one reminder through ``contacts_reminded_at``, the staff's one "no
response" note through ``lapsed_at``.
"""

import dataclasses
import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.alerts.tasks import fan_out_after_commit
from commitments.domain import calendar
from commitments.domain.reminders import recipients as staff_recipients
from commitments.mail import delivery
from commitments.models import (
    CompanyContact,
    Notification,
    PledgeEvent,
    Reply,
    ReplyRequest,
)
from commitments.models.replies import words

logger = logging.getLogger(__name__)

REMINDER_DAYS_BEFORE = 3
WITHDRAWN_REPLY = "we took the company's reply off the record after publishing it"


def _require(actor, perm, doing):
    if actor is not None and not actor.has_perm(f"commitments.{perm}"):
        raise PermissionDenied(f"You do not have permission to {doing}.")


def _notify(request, kind, to):
    """One Notification per address (the constraint keeps it single); queued after commit."""
    rows = [
        Notification(
            pledge=request.pledge,
            kind=kind,
            occurrence=request.occurrence,
            recipient=email,
            user=user,
        )
        for email, user in to
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            pledge=request.pledge,
            kind=kind,
            occurrence=request.occurrence,
            status=Notification.Status.PENDING,
            queued_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    delivery.enqueue(ids)
    return len(ids)


def _contact_addresses(request):
    seen, found = set(), []
    for contact in request.contacts.order_by("pk"):
        if contact.email.lower() not in seen:
            seen.add(contact.email.lower())
            found.append((contact.email, None))
    return found


# --- Staff: ask, cancel ----------------------------------------------------------------


@transaction.atomic
def ask_for_response(pledge, *, contacts, question, reply_by, actor):
    """Create the request and queue one email per contact. Returns the request."""
    _require(actor, "add_replyrequest", "ask a company for a response")
    contacts = list(contacts)
    question = (question or "").strip()
    errors = {}
    if not contacts:
        errors["contacts"] = "Choose at least one contact to ask."
    elif any(contact.company_id != pledge.company_id for contact in contacts):
        errors["contacts"] = "Contacts must work for the pledge's company."
    if not question:
        errors["question"] = "Write the question the company is asked."
    if reply_by is None or reply_by < calendar.today():
        errors["reply_by"] = "The reply-by date cannot be in the past."
    if errors:
        raise ValidationError(errors)
    request = ReplyRequest.objects.create(
        pledge=pledge, question=question, reply_by=reply_by, sent_by=actor
    )
    request.contacts.set(contacts)
    _notify(request, Notification.Kind.REPLY_REQUEST, _contact_addresses(request))
    return request


def cancel_request(request, *, actor):
    """Cancel an open request: its link stops working at once. Returns True if done.

    One whose reply-by day is over is not open any more: its "no response" is history.
    """
    _require(actor, "change_replyrequest", "cancel a request for comment")
    return bool(
        ReplyRequest.objects.open()
        .filter(pk=request.pk)
        .update(cancelled_at=timezone.now(), cancelled_by=actor)
    )


def default_question(pledge):
    """The question staff start from: the pledge as the tracker states it, the evidence so
    far, and what the tracker is about to record. One paragraph per point."""
    company = pledge.company.name
    paragraphs = [
        f"{company} pledged: {pledge.title}.",
        f"We count it as kept if: {pledge.success_criteria.strip()}",
    ]
    status = f"We currently rate it “{pledge.get_status_display()}”."
    if pledge.deadline and pledge.deadline < calendar.today():
        status += (
            f" Its deadline, {calendar.human_date(pledge.deadline)}, has passed, and we are "
            "about to record a final verdict."
        )
    elif pledge.deadline:
        status += f" Its deadline is {calendar.human_date(pledge.deadline)}."
    else:
        status += " We are reviewing the evidence for an update to our assessment."
    paragraphs.append(status)
    sources = list(pledge.sources.order_by("published_on", "pk")[:10])
    if sources:
        paragraphs.append(
            "\n".join(
                ["The evidence we have so far:"]
                + [f"- {source.title}: {source.url}" for source in sources]
            )
        )
    paragraphs.append(
        f"Has {company} kept this pledge? Please tell us what has been done, with links to "
        "any evidence we should consider."
    )
    return "\n\n".join(paragraphs)


# --- The company: open the page, submit a reply -------------------------------------------


class LinkRefused(Exception):
    """The reply link no longer accepts a reply; ``reason`` is answered, cancelled or expired."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def link_problem(request, now=None):
    """Why the link of ``request`` accepts no reply now, or None if it does."""
    now = now or timezone.now()
    if request.cancelled_at is not None:
        return "cancelled"
    if request.answered_at is not None:
        return "answered"
    if now >= request.link_expires_at():
        return "expired"
    return None


def mark_opened(request):
    """Note the first visit of the reply page (shown to staff as "Link visited", not as read:
    mail scanners visit links too)."""
    ReplyRequest.objects.filter(pk=request.pk, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


@transaction.atomic
def submit_reply(request_pk, *, body, links, name, role):
    """Store the company's reply (steps in the module docstring). Returns the Reply."""
    now = timezone.now()
    request = ReplyRequest.objects.select_for_update().select_related("pledge").get(pk=request_pk)
    problem = link_problem(request, now)
    if problem:
        raise LinkRefused(problem)
    claimed = ReplyRequest.objects.filter(
        pk=request.pk, answered_at__isnull=True, cancelled_at__isnull=True
    ).update(answered_at=now)
    if claimed != 1:
        raise LinkRefused("answered")
    request.answered_at = now
    reply = Reply(request=request, body=body, links=list(links), name=name, role=role)
    reply.submitted_at = now
    reply.full_clean(exclude=["request", "event"])
    reply.save()
    to = staff_recipients(request.pledge)
    if not to:
        logger.warning("Nobody to tell about the reply to request %s", request.pk)
    _notify(request, Notification.Kind.REPLY_RECEIVED, to)
    return reply


# --- Staff: publish, withhold, correct formatting -------------------------------------------


def _locked_reply(reply):
    # The request row is the lock every step of a request takes.
    ReplyRequest.objects.select_for_update().get(pk=reply.request_id)
    return Reply.objects.select_related("request__pledge").get(pk=reply.pk)


@transaction.atomic
def publish_reply(reply, *, actor):
    """Make a submitted reply public: a "company replied" event on the pledge's history."""
    _require(actor, "change_reply", "publish a reply")
    current = _locked_reply(reply)
    if not current.is_pending:
        raise ValidationError(
            "Only a reply that is neither published nor withheld can be published."
        )
    event = PledgeEvent.objects.create(
        pledge=current.request.pledge,
        kind=PledgeEvent.Kind.COMPANY_REPLY,
        occurred_on=current.submitted_on,
        recorded_by=actor,
        rationale=current.body,
    )
    fan_out_after_commit(event)
    current.published_at, current.published_by, current.event = timezone.now(), actor, event
    current.save(update_fields=["published_at", "published_by", "event"])
    return current


@transaction.atomic
def withhold_reply(reply, *, reason, actor):
    """Keep a reply off public pages, with a reason staff see. A reply already published is
    withdrawn from the history like any correction (listed on /corrections/, with who was
    told kept), never deleted: readers saw it, so the record says it was taken back."""
    _require(actor, "change_reply", "withhold a reply")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the reply is withheld (staff see this)."})
    current = _locked_reply(reply)
    if current.withheld_at is not None:
        raise ValidationError("This reply is already withheld.")
    now, event_id = timezone.now(), current.event_id
    current.withheld_at, current.withheld_by, current.withheld_reason = now, actor, reason
    current.event = None  # no longer the reply's public story
    current.save(update_fields=["withheld_at", "withheld_by", "withheld_reason", "event"])
    if event_id is not None:
        # The staff reason may be private (legal advice, say): the public one is generic.
        PledgeEvent.objects.filter(pk=event_id, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_reason=WITHDRAWN_REPLY
        )
    return current


@transaction.atomic
def correct_formatting(reply, *, body, actor):
    """Change how a reply is laid out, never what it says: the words must stay the same."""
    _require(actor, "change_reply", "correct a reply")
    current = _locked_reply(reply)
    body = body or ""
    original = current.original_body if current.edited else current.body
    if words(body) != words(original):
        raise ValidationError(
            {
                "body": "Only formatting may change (line breaks, lists, emphasis): the words "
                "must stay exactly as the company sent them."
            }
        )
    if body == current.body:
        return current
    if not current.edited:
        current.original_body, current.edited = current.body, True
    current.body = body
    current.full_clean(exclude=["request", "event"])
    current.save(update_fields=["body", "original_body", "edited"])
    if current.event_id:
        PledgeEvent.objects.filter(pk=current.event_id).update(rationale=body)
    return current


# --- The sweep ------------------------------------------------------------------------------


@dataclasses.dataclass
class ReplySweepReport:
    reminded: int = 0
    lapsed: int = 0

    def as_dict(self):
        return dataclasses.asdict(self)


def sweep_replies(now=None):
    """Send the contacts' one reminder and the staff's one "no response" note when due."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=calendar.tracker_zone())
    report = ReplySweepReport()
    window_opens = today + dt.timedelta(days=REMINDER_DAYS_BEFORE)
    due = ReplyRequest.objects.filter(
        answered_at__isnull=True,
        cancelled_at__isnull=True,
        contacts_reminded_at__isnull=True,
        reply_by__gte=today,
        reply_by__lte=window_opens,
    ).values_list("pk", "reply_by", "sent_at")
    for pk, reply_by, sent_at in due:
        # Asked inside the window already (a short reply-by): the request itself is fresh.
        if sent_at >= calendar.start_of_day(reply_by - dt.timedelta(days=REMINDER_DAYS_BEFORE)):
            continue
        report.reminded += _claim_and_notify(
            pk, "contacts_reminded_at", now, Notification.Kind.REPLY_REMINDER
        )
    lapsed = ReplyRequest.objects.unanswered_past(today).filter(lapsed_at__isnull=True)
    for pk in lapsed.values_list("pk", flat=True):
        report.lapsed += _claim_and_notify(pk, "lapsed_at", now, Notification.Kind.REPLY_LAPSED)
    return report


@transaction.atomic
def _claim_and_notify(pk, column, now, kind):
    claimed = ReplyRequest.objects.filter(
        pk=pk, answered_at__isnull=True, cancelled_at__isnull=True, **{f"{column}__isnull": True}
    ).update(**{column: now})
    if claimed != 1:
        return 0
    request = ReplyRequest.objects.select_related("pledge__owner", "pledge__company").get(pk=pk)
    if kind == Notification.Kind.REPLY_REMINDER:
        to = _contact_addresses(request)
    else:
        _record_no_reply(request)
        to = staff_recipients(request.pledge)
    if not to:
        logger.warning("Nobody to send %s for request %s to", kind, pk)
        return 0
    _notify(request, kind, to)
    return 1


def _record_no_reply(request):
    """The "no response" step in the pledge's history, dated the first day after the
    reply-by day (like "deadline passed"). Followers are not emailed about it."""
    event = PledgeEvent.objects.create(
        pledge=request.pledge,
        kind=PledgeEvent.Kind.NO_REPLY,
        occurred_on=request.reply_by + dt.timedelta(days=1),
        rationale=no_reply_sentence(request),
    )
    ReplyRequest.objects.filter(pk=request.pk).update(no_reply_event=event)
    fan_out_after_commit(event)  # claims the event; nobody is alerted about this kind


def no_reply_sentence(request):
    return (
        f"{request.pledge.company.name} was asked for comment on "
        f"{calendar.human_date(request.sent_on)} and did not respond by "
        f"{calendar.human_date(request.reply_by)}."
    )


def open_requests(pledge):
    return ReplyRequest.objects.open().filter(pledge=pledge)


def contacts_for(pledge):
    return CompanyContact.objects.filter(company_id=pledge.company_id)
