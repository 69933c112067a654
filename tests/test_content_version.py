"""The content version moves with every write to public content, however it is made."""

import pytest
from django.db import connection

from commitments.models import ContentVersion, Page, Pledge
from commitments.models.content import PUBLIC_TABLES
from tests.factories import (
    DisbursementFactory,
    EventFactory,
    ReplyFactory,
    ReplyRequestFactory,
    SourceFactory,
)


@pytest.fixture
def public_rows(pledge):
    source = SourceFactory(pledge=pledge)
    EventFactory(pledge=pledge).sources.add(source)
    DisbursementFactory(pledge=pledge, source=source)
    Page.objects.create(slug="about", title="About", body="Who we are.")
    ReplyFactory(request=ReplyRequestFactory(pledge=pledge))


def moved(write):
    before = ContentVersion.current()
    write()
    return ContentVersion.current() != before


def columns(table):
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def update_column(table, column):
    quoted = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {quoted} = {quoted}")  # noqa: S608 - names from the schema


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_updating_any_public_column_moves_the_version(public_rows, table):
    # Fails for a column a migration added without re-installing the triggers.
    for column in columns(table):
        expected = column not in PUBLIC_TABLES[table]
        assert moved(lambda c=column: update_column(table, c)) is expected, (table, column)


def test_bulk_updates_inserts_and_deletes_move_the_version(pledge):
    assert moved(lambda: Pledge.objects.filter(pk=pledge.pk).update(title="Renamed in bulk"))
    assert moved(lambda: SourceFactory(pledge=pledge))
    assert moved(lambda: pledge.sources.all().delete())


def test_the_reminder_schedule_and_alert_claims_leave_the_version_alone(pledge):
    assert not moved(lambda: Pledge.objects.filter(pk=pledge.pk).update(next_reminder_at=None))
    event = EventFactory(pledge=pledge)
    assert not moved(
        lambda: type(event).objects.filter(pk=event.pk).update(alerts_queued_at="2021-01-01T00:00Z")
    )


def test_subscribers_and_notifications_are_not_public_content(pledge):
    from commitments.models import Subscriber

    assert not moved(lambda: Subscriber.objects.create(email="reader@example.org"))


def test_a_reply_page_visit_and_the_contacts_reminder_leave_the_version_alone(pledge):
    from commitments.models import ReplyRequest

    request = ReplyRequestFactory(pledge=pledge)
    rows = ReplyRequest.objects.filter(pk=request.pk)
    assert not moved(lambda: rows.update(opened_at="2021-06-11T00:00Z"))
    assert not moved(lambda: rows.update(contacts_reminded_at="2021-06-11T00:00Z"))
    assert moved(lambda: rows.update(lapsed_at="2021-06-25T00:00Z"))
