"""Fixtures of the money tests: a $10M donation pledge, its source, an editor."""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from tests.factories import PledgeFactory, SourceFactory, UserFactory, ensure_roles


@pytest.fixture
def donation(company):
    return PledgeFactory(
        company=company,
        title="Donate $10 million",
        slug="amazon-donation",
        category="donation",
        announced_on=dt.date(2020, 6, 3),
        amount_pledged=Decimal("10000000"),
        currency="USD",
        is_published=True,
    )


@pytest.fixture
def report(donation):
    return SourceFactory(
        pledge=donation, publisher="Diverse", url="https://diverse.example.com/amazon-1m"
    )


@pytest.fixture
def editor_client(client, db):
    ensure_roles()
    user = UserFactory(username="eddie", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.fixture
def alerts_sent_at_commit(django_capture_on_commit_callbacks):
    """A block whose after-commit alerts are fanned out and sent at once, as a worker would."""
    from tracker.celery import app

    @contextlib.contextmanager
    def block():
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                yield
        finally:
            app.conf.task_always_eager = eager

    return block
