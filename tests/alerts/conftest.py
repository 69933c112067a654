import email
import re
import socket
import threading

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from commitments.mail.alert_messages import _alert, _wanted
from commitments.models import Subscriber, Subscription
from commitments.models.subscribers import address_hash
from tracker.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline when their on-commit callback fires, as a worker would run them."""
    old = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Rate-limit counters and rendered alerts outlive a test; ids may not.
    cache.clear()
    _alert.cache_clear()
    _wanted.cache_clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what would run after commit (tasks, then their sends)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def follow(email, scope=Subscription.Scope.ALL, pledge=None, company=None, **topics):
    """A confirmed subscription, as if the address had clicked its link."""
    subscriber, _ = Subscriber.objects.get_or_create(email=email)
    subscription = Subscription.objects.create(
        subscriber=subscriber,
        scope=scope,
        pledge=pledge,
        company=company,
        confirmed_at=timezone.now(),
        **topics,
    )
    return subscription


def link_in(message, path):
    """The absolute link to ``path`` in a message's text, made relative for the test client."""
    match = re.search(rf"https://tracker\.example\.org({re.escape(path)}[^\s>]+)", message.body)
    assert match, f"no {path} link in:\n{message.body}"
    return match.group(1)


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def follow_many(n, scope=Subscription.Scope.ALL, prefix="reader", **topics):
    """``n`` confirmed subscribers in a few INSERTs (the 10,000-address tests)."""
    now = timezone.now()
    emails = [f"{prefix}{i:05}@example.org" for i in range(n)]
    Subscriber.objects.bulk_create(
        [Subscriber(email=e, address_hash=address_hash(e)) for e in emails], batch_size=2000
    )
    subscribers = Subscriber.objects.filter(email__in=emails).values_list("pk", flat=True)
    Subscription.objects.bulk_create(
        [
            Subscription(subscriber_id=pk, scope=scope, confirmed_at=now, **topics)
            for pk in subscribers
        ],
        batch_size=2000,
    )
    return emails


class SMTPSink:
    """A real SMTP server on a free loopback port that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self.sessions = 0
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.sessions += 1  # Django's SMTP backend says EHLO once per connection
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address):
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    from aiosmtpd.controller import Controller

    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    controller.stop()
