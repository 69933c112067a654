"""The ways a pledge's story moves on: a verdict, a moved deadline, a confirmed payment
(or its withdrawal, when it was recorded in error).

Each function checks the actor's permission, checks the pledge has not changed
since the actor loaded it, updates the pledge and writes its ``PledgeEvent`` in
one transaction. Nothing else changes a pledge's status or deadline, or confirms
money delivered. Once that
transaction commits, the event's subscriber alerts are fanned out (``fan_out_after_commit``).

A change may be backdated (``effective_on``). If the corrected history makes an
event the sweep wrote untrue — "deadline passed" for a deadline that had in fact
been moved, or for a pledge that had a final verdict in time — that event is
withdrawn in the same transaction (``_withdraw_contradicted``): the public history
drops it, the audit trail keeps it, and the corrections page says what and why.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.alerts.tasks import fan_out_after_commit
from commitments.domain import calendar
from commitments.domain.amounts import short_amount
from commitments.domain.calendar import human_date
from commitments.domain.validators import validate_plain_text
from commitments.models import FINAL_STATUSES, Disbursement, Pledge, PledgeEvent, ReplyRequest


class StaleEdit(Exception):
    """The pledge changed after the actor opened it; their change was not applied."""

    def __init__(self, pledge):
        super().__init__(
            "This pledge changed since you opened it. Reload it, check the latest "
            "history, and record your change again."
        )
        self.pledge = pledge


def _lock_current(pledge, expected_version):
    """Lock the pledge row and refuse if someone else changed it meanwhile."""
    current = Pledge.objects.select_for_update().select_related("company").get(pk=pledge.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(current)
    return current


def _require(actor, perm):
    if actor is not None and not actor.has_perm(f"commitments.{perm}"):
        raise PermissionDenied(f"You do not have permission to {perm.replace('_', ' ')}.")


@transaction.atomic
def record_verdict(
    pledge,
    *,
    status,
    rationale,
    sources=(),
    effective_on=None,
    actor,
    expected_version=None,
    reply_anyway_reason=None,
):
    """Rate a pledge and write the "verdict recorded" event.

    ``actor`` is the staff user ruling (None only for trusted system code such as
    data loading). Final verdicts need evidence; repeating the current verdict is
    allowed only with a new rationale, and shows as a new event.

    A final verdict while the company still has an open request for comment needs
    ``reply_anyway_reason``: it is kept on each open request, with who and when.
    """
    _require(actor, "record_verdict")
    rationale = (rationale or "").strip()
    sources = list(sources)
    errors = {}
    if status not in Pledge.Status.values:
        errors["status"] = "Choose one of the listed statuses."
    if not rationale:
        errors["rationale"] = "Explain the verdict: readers see this rationale."
    if status in FINAL_STATUSES and not sources:
        errors["sources"] = (
            "A final verdict (kept, partially kept, broken) needs at least one source."
        )
    if any(source.pledge_id != pledge.pk for source in sources):
        errors["sources"] = "Sources must belong to this pledge."
    if errors:
        raise ValidationError(errors)

    current = _lock_current(pledge, expected_version)
    if status in FINAL_STATUSES:
        _record_anyway(current, (reply_anyway_reason or "").strip(), actor)
    if status == current.status:
        last = current.events.filter(kind=PledgeEvent.Kind.STATUS_CHANGED).first()
        if last is None or last.rationale.strip() == rationale:
            raise ValidationError(
                {
                    "rationale": "This is already the pledge's status. Give a new rationale to re-affirm it."
                }
            )

    event = _write_event(
        current,
        sources,
        kind=PledgeEvent.Kind.STATUS_CHANGED,
        occurred_on=effective_on or calendar.today(),
        recorded_by=actor,
        old_status=current.status,
        new_status=status,
        rationale=rationale,
    )
    current.status = status
    current.version += 1  # safe: the row is locked
    current._change_reason = f"Verdict: {current.get_status_display()}"
    current.save()
    _copy_state(current, pledge)
    return event


@transaction.atomic
def move_deadline(
    pledge, *, new_deadline, rationale, source=None, effective_on=None, actor, expected_version=None
):
    """Postpone, extend or end a deadline (``new_deadline=None`` makes it indefinite).

    The old and new dates go into a "deadline moved" event, so the public page
    can say how many times a pledge was postponed. Reminders re-arm for the new date.
    """
    _require(actor, "move_deadline")
    rationale = (rationale or "").strip()
    errors = {}
    if not rationale:
        errors["rationale"] = "Say why the deadline moved."
    if new_deadline is not None and new_deadline < pledge.announced_on:
        errors["new_deadline"] = "The deadline cannot be before the day the pledge was announced."
    if new_deadline == pledge.deadline:
        errors["new_deadline"] = "That is already the deadline."
    if source is not None and source.pledge_id != pledge.pk:
        errors["source"] = "The source must belong to this pledge."
    if errors:
        raise ValidationError(errors)

    current = _lock_current(pledge, expected_version)
    effective_on = effective_on or calendar.today()
    latest = current.events.current().deadline_moves().order_by("-occurred_on").first()
    if latest is not None and effective_on < latest.occurred_on:
        # The history tells moves in the order they took effect; an earlier one recorded
        # now would say the deadline moved from a date it no longer had.
        raise ValidationError(
            {
                "effective_on": "The deadline already moved on "
                f"{human_date(latest.occurred_on)}; a later move cannot take effect before it."
            }
        )
    event = _write_event(
        current,
        [source] if source is not None else [],
        kind=PledgeEvent.Kind.DEADLINE_CHANGED,
        occurred_on=effective_on,
        recorded_by=actor,
        old_deadline=current.deadline,
        new_deadline=new_deadline,
        rationale=rationale,
    )
    current.deadline = new_deadline
    current.version += 1  # safe: the row is locked
    current._change_reason = "Deadline moved"
    current.save()
    _copy_state(current, pledge)
    return event


@transaction.atomic
def record_disbursement(
    pledge,
    *,
    recipient,
    amount,
    currency,
    paid_on,
    source,
    actor,
    disbursement=None,
    rationale="",
):
    """Record a payment a source confirms, and its "payment confirmed" event.

    ``disbursement``, if given, is an announced (unconfirmed) payment of this pledge that
    the source now confirms; otherwise a new one is written. The pledge's "delivered" is
    the sum of its confirmed payments, so this is the only way it grows. Refused: a
    non-positive amount, another currency than the pledge's, a date in the future, a
    source of another pledge, or a total above the pledge (unless staff ticked
    "delivered may exceed pledged").
    """
    _require(actor, "add_disbursement")
    recipient = " ".join((recipient or "").split())
    currency = (currency or "").upper()
    errors = {}
    if not pledge.is_financial:
        errors["amount"] = "Give the pledge's amount and currency before recording payments."
    if not recipient:
        errors["recipient"] = "Name the organisation that was paid."
    if amount is None or amount <= 0:
        errors["amount"] = "The amount must be more than zero."
    if pledge.currency and currency != pledge.currency.upper():
        errors["currency"] = f"Payments are recorded in the pledge's currency, {pledge.currency}."
    if paid_on is None:
        errors["paid_on"] = "Give the day of the payment (or the day the source reports it)."
    elif paid_on > calendar.today():
        errors["paid_on"] = "The payment date cannot be in the future."
    if source is None:
        errors["source"] = "Cite the source that confirms the payment."
    elif source.pledge_id != pledge.pk:
        errors["source"] = "The source must belong to this pledge."
    if disbursement is not None and (
        disbursement.pledge_id != pledge.pk or disbursement.pk is None
    ):
        errors["recipient"] = "That payment belongs to another pledge."
    if errors:
        raise ValidationError(errors)

    current = _lock_current(pledge, None)
    if disbursement is not None:
        disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if disbursement.is_confirmed:
            raise ValidationError({"source": "That payment is confirmed already."})
        if disbursement.is_withdrawn:
            raise ValidationError(
                {"source": "That payment's confirmation was withdrawn; record it as a new payment."}
            )
    confirmed = current.disbursements.confirmed().exclude(pk=getattr(disbursement, "pk", None))
    total = sum((d.amount for d in confirmed), amount)
    if total > current.amount_pledged and not current.delivered_may_exceed_pledged:
        raise ValidationError(
            {
                "amount": f"Confirmed payments would reach {short_amount(total, currency)}, more "
                f"than the {short_amount(current.amount_pledged, currency)} pledged. Tick "
                "“delivered may exceed pledged” on the pledge if the company really gave more."
            }
        )
    disbursement = disbursement or Disbursement(pledge=current)
    disbursement.recipient, disbursement.amount, disbursement.currency = (
        recipient,
        amount,
        currency,
    )
    disbursement.paid_on, disbursement.source, disbursement.recorded_by = paid_on, source, actor
    disbursement.full_clean()
    disbursement.save()
    event = _write_event(
        current,
        [source],
        kind=PledgeEvent.Kind.DISBURSEMENT,
        occurred_on=paid_on,
        recorded_by=actor,
        disbursement=disbursement,
        rationale=(rationale or "").strip(),
    )
    _save_money_change(current, pledge, f"Payment confirmed: {event.headline}")
    return disbursement


def _save_money_change(current, pledge, reason):
    """Move the locked pledge's version, with ``reason`` in its history; let the caller's
    pledge forget the total it read before."""
    current.version += 1  # safe: the row is locked
    current._change_reason = reason
    current.save()
    _copy_state(current, pledge)
    pledge.__dict__.pop("confirmed_delivered", None)
    getattr(pledge, "_prefetched_objects_cache", {}).pop("disbursements", None)


# Why the "payment confirmed" event was withdrawn; the correcting event says the rest.
WITHDRAWN_PAYMENT = "Recorded in error."
# The payment row keeps the reason: its column decides how long one may be.
WITHDRAW_REASON_MAX = Disbursement._meta.get_field("withdrawn_reason").max_length


@transaction.atomic
def withdraw_disbursement(pledge, disbursement, *, reason, actor):
    """Withdraw a payment confirmation recorded in error, e.g. a mistyped amount.

    The payment stops counting towards "delivered" and leaves the pledge page, the API
    and the exports. A "payment withdrawn" event dated today, with ``reason`` (public),
    takes the place of its "payment confirmed" event in the history and reaches the same
    followers; the old event is withdrawn by it and listed on the corrections page. Both
    rows are kept, unchanged, for the audit trail. To record the right payment, confirm
    it again as a new payment.
    """
    _require(actor, "change_disbursement")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the confirmation is withdrawn: readers see it."})
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason within {WITHDRAW_REASON_MAX} characters."}
        )
    try:
        validate_plain_text(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from error
    current = _lock_current(pledge, None)
    payment = Disbursement.objects.select_for_update().filter(pk=disbursement.pk).first()
    if payment is None or payment.pledge_id != current.pk:
        raise ValidationError({"reason": "That payment belongs to another pledge."})
    if not payment.is_confirmed:
        state = "withdrawn already" if payment.is_withdrawn else "not confirmed"
        raise ValidationError({"reason": f"That payment is {state}: nothing to withdraw."})
    now = timezone.now()
    payment.withdrawn_at, payment.withdrawn_reason = now, reason
    payment._change_reason = f"Confirmation withdrawn: {reason}"
    payment.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    correction = _write_event(
        current,
        [],
        kind=PledgeEvent.Kind.PAYMENT_WITHDRAWN,
        occurred_on=calendar.today(),
        recorded_by=actor,
        disbursement=payment,
        rationale=reason,
    )
    payment.events.filter(kind=PledgeEvent.Kind.DISBURSEMENT, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=correction, withdrawn_reason=WITHDRAWN_PAYMENT
    )
    _save_money_change(current, pledge, f"Payment confirmation withdrawn: {payment}")
    return payment


def _record_anyway(pledge, reason, actor):
    """Refuse a final verdict over an open request for comment unless a reason is given."""
    still_open = ReplyRequest.objects.open().filter(pledge=pledge)
    if not still_open.exists():
        return
    if not reason:
        raise ValidationError(
            {
                "reply_anyway_reason": "The company has been asked for comment and its "
                "reply-by date has not passed. Tick “record anyway” and say why it cannot wait."
            }
        )
    still_open.update(
        verdict_anyway_at=timezone.now(), verdict_anyway_by=actor, verdict_anyway_reason=reason
    )


def _write_event(pledge, sources, **fields):
    """The event, its evidence, the corrections it makes, and its alerts after commit."""
    event = PledgeEvent.objects.create(pledge=pledge, **fields)
    event.sources.set(sources)
    _withdraw_contradicted(pledge, event)
    fan_out_after_commit(event)
    return event


def _withdraw_contradicted(pledge, correction):
    """Withdraw the events ``correction`` makes untrue; returns how many."""
    untrue = [
        event.pk
        for event in pledge.events.current().filter(kind=PledgeEvent.Kind.DEADLINE_PASSED)
        if event.contradicts(correction)
    ]
    if not untrue:
        return 0
    on = human_date(correction.occurred_on)
    if correction.kind == PledgeEvent.Kind.DEADLINE_CHANGED:
        old = correction.old_deadline
        deadline = f"The deadline of {human_date(old)}" if old else "The deadline"
        reason = f"{deadline} was {correction.move_phrase}, before it passed."
    else:
        reason = f"The verdict “{correction.get_new_status_display()}” took effect on {on}, before the deadline passed."
    return PledgeEvent.objects.filter(pk__in=untrue).update(
        withdrawn_at=timezone.now(), withdrawn_by=correction, withdrawn_reason=reason
    )


def _copy_state(source, target):
    """Let the caller's object reflect the saved row."""
    if source is not target:
        for field in ("status", "deadline", "version", "next_reminder_at", "updated_at"):
            setattr(target, field, getattr(source, field))
