"""Fixtures for the reminder and delivery tests."""

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from commitments.domain import reminders
from commitments.mail.tasks import send_notifications

LA = ZoneInfo("America/Los_Angeles")


def la(*args):
    """An aware moment on the tracker's (Los Angeles) wall clock."""
    return dt.datetime(*args, tzinfo=LA)


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return reminders.sweep_deadlines()


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """Batches handed to the broker, recorded instead of sent: [[id, ...], ...]."""
    batches = []
    monkeypatch.setattr(send_notifications, "delay", lambda ids: batches.append(list(ids)))
    return batches


@pytest.fixture
def staff_emails(settings):
    settings.TRACKER_STAFF_EMAILS = ["advocacy@example.org"]
    return settings.TRACKER_STAFF_EMAILS


class ScriptedBackend(LocmemBackend):
    """The locmem outbox, but each send first takes the next scripted outcome:
    None = accept, an exception = raise it (as smtplib would), a function = call it, then
    accept (or raise what it returns)."""

    script = []
    opened = 0

    def open(self):
        ScriptedBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        if ScriptedBackend.script:
            outcome = ScriptedBackend.script.pop(0)
            if callable(outcome) and not isinstance(outcome, BaseException):
                outcome = outcome()  # e.g. move the clock, as a slow server would
            if outcome is not None:
                raise outcome
        return super().send_messages(messages)


@pytest.fixture
def smtp_script(settings):
    settings.EMAIL_BACKEND = "tests.reminders.conftest.ScriptedBackend"
    ScriptedBackend.script = []
    ScriptedBackend.opened = 0
    return ScriptedBackend.script


REFUSED = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"5.1.1 No such user")})
GREYLISTED = smtplib.SMTPRecipientsRefused(
    {"x@example.org": (451, b"4.7.1 Greylisted, try again later")}
)
TRY_LATER = smtplib.SMTPDataError(451, b"4.3.0 Try again later")
DISCONNECTED = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
