"""A site-wide event reaching thousands of subscribers: batches over reused connections."""

from collections import Counter

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.alerts import fanout
from commitments.domain import workflow
from commitments.mail import delivery
from commitments.models import Notification, Subscriber
from tests.alerts.conftest import follow_many


class CountingBackend(BaseEmailBackend):
    """Behaves like the SMTP backend about connections (send opens one if none is open)."""

    connections = 0
    recipients = Counter()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        type(self).connections += 1
        self.is_open = True
        return True

    def close(self):
        self.is_open = False

    def send_messages(self, messages):
        new = self.open()
        for message in messages:
            message.message()  # serialise it, as a real send would
            type(self).recipients.update(message.recipients())
        if new:
            self.close()
        return len(messages)


def send_verdict(pledge, superuser, committed, rationale="No news."):
    with committed():
        workflow.record_verdict(pledge, status="stalled", rationale=rationale, actor=superuser)


def test_ten_thousand_subscribers_get_one_email_each_over_fifty_connections(
    pledge, superuser, committed, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    settings.TRACKER_DELIVERY_BATCH_SIZE = 200
    CountingBackend.connections, CountingBackend.recipients = 0, Counter()
    addresses = follow_many(10_000)

    send_verdict(pledge, superuser, committed)

    assert set(CountingBackend.recipients) == set(addresses)
    assert set(CountingBackend.recipients.values()) == {1}
    assert CountingBackend.connections == 50  # 10,000 / 200 per batch
    assert Notification.objects.filter(kind="alert", status="sent").count() == 10_000


def test_through_a_real_smtp_server_each_batch_is_one_connection(
    pledge, superuser, committed, smtp_sink, settings
):
    settings.TRACKER_DELIVERY_BATCH_SIZE = 200
    addresses = follow_many(1_000)

    send_verdict(pledge, superuser, committed)

    delivered = Counter(rcpt for rcpts, _ in smtp_sink.messages for rcpt in rcpts)
    assert delivered == Counter(addresses)
    assert smtp_sink.sessions == 5
    for _, message in smtp_sink.messages[:3]:
        # Long headers are folded on the wire; unfolded, the value is the bracketed URL.
        unfolded = " ".join(message["List-Unsubscribe"].split())
        assert unfolded.startswith("<https://tracker.example.org/alerts/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_sending_costs_one_query_per_group_of_messages_and_a_few_per_batch(pledge, superuser):
    def queries_to_send(total):
        follow_many(total - Subscriber.objects.count(), prefix=f"q{Subscriber.objects.count()}-")
        event = workflow.record_verdict(
            pledge,
            status="stalled",
            rationale=f"Checked on {Subscriber.objects.count()}.",
            actor=superuser,
        )  # not committed: fan out and send by hand, measuring only the sending
        fanout.fan_out_event(event.pk)
        ids = Notification.objects.filter(event=event).values_list("pk", flat=True)
        with CaptureQueriesContext(connection) as ctx:
            outcome = delivery.send_batch(list(ids))
            assert list(outcome.values()) == ["sent"] * Subscriber.objects.count()
        return len(ctx.captured_queries)

    # Per MARK_SENT_EVERY (20) messages: mark them sent. Per batch: claim (lock, update),
    # load the rows, re-check which addresses still want their alert, mark the last group,
    # and (PostgreSQL) switch commits to asynchronous.
    assert delivery.MARK_SENT_EVERY == 20
    twenty = queries_to_send(20)  # to 20 subscribers: one group
    assert queries_to_send(100) - twenty == 4  # five groups
    assert queries_to_send(110) - twenty == 5  # five groups and a partial one
