import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from commitments.models import Subscriber, Subscription
from tracker.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline when their on-commit callback fires, as a worker would run them."""
    old = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache, which outlives a test.
    cache.clear()


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
