"""Each follower's copy of an alert: rendered once for the news, personal links put in per reader."""

import email
import email.policy
import re

from commitments.alerts import fanout
from commitments.domain import workflow
from commitments.mail import delivery
from commitments.mail.builders import build_message
from commitments.models import Notification
from tests.alerts.conftest import follow


def readable(message):
    """What a mail client shows: the headers, and each part's decoded text."""
    parsed = email.message_from_bytes(
        message.message().as_bytes(linesep="\r\n"), policy=email.policy.default
    )
    headers = {name: " ".join(str(value).split()) for name, value in parsed.items()}
    parts = [p.get_content() for p in parsed.walk() if not p.is_multipart()]
    return headers, parts


def test_every_follower_gets_their_own_links_and_a_message_id_fixed_per_row(
    pledge, superuser, committed
):
    for name in ("ada", "grace"):
        follow(f"{name}@example.org")
    event = workflow.record_verdict(
        pledge, status="stalled", rationale="No news since the launch.", actor=superuser
    )  # not committed: built by hand below
    fanout.fan_out_event(event.pk)
    rows = list(Notification.objects.filter(event=event).order_by("recipient"))
    batch = delivery.Batch([row.pk for row in rows])

    copies = [readable(build_message(row)) for row in batch.rows]

    for row, (headers, _) in zip(batch.rows, copies, strict=True):
        assert headers["To"] == row.recipient
        assert headers["Message-ID"] == f"<notification-{row.pk}.alert@tracker.example.org>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (ada_headers, ada_parts), (grace_headers, grace_parts) = copies
    ada, grace = (h["List-Unsubscribe"].strip("<>") for h in (ada_headers, grace_headers))
    assert ada != grace
    for text in ada_parts:  # the plain text and the HTML
        assert ada.replace("&", "&amp;") in text or ada in text
        assert grace not in text
        assert not re.search(r"personal[0-9a-f]{16}", text)  # no placeholder left behind
    assert ada_parts[0] != grace_parts[0]
    assert "No news since the launch." in ada_parts[0]
