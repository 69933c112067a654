"""Mail merge: each reader's copy of an alert is byte-built from one shared copy, and reads
exactly as the message Django would have built for that reader on its own."""

import email
import email.policy

from django.core.mail import BadHeaderError, EmailMultiAlternatives
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from commitments.alerts import fanout
from commitments.domain import workflow
from commitments.mail import delivery
from commitments.mail.builders import build_message
from commitments.mail.mailmerge import FlattenedMessage, MergedEmail, Template, placeholders
from commitments.models import Notification
from tests.alerts.conftest import follow

MESSAGE_ID = "<notification-7.alert@tracker.example.org>"


def readable(message):
    """What a mail client shows: every header but Date, and each part's decoded text."""
    parsed = email.message_from_bytes(message.as_bytes(linesep="\r\n"), policy=email.policy.default)
    headers = sorted(
        (name, " ".join(str(value).split()))
        for name, value in parsed.items()
        if name not in ("Date", "Content-Type")  # a multipart's boundary is random
    )
    parts = [(p.get_content_type(), p.get_content()) for p in parsed.walk() if not p.is_multipart()]
    return headers, parts


def djangos_own(message):
    return EmailMultiAlternatives.message(message)


def merged_email(subject, body, html, to, url):
    """A reader's copy through a template, as ``commitments.mail.alert_messages`` builds one."""
    stand_ins = placeholders(["unsubscribe_url"])
    stand_in = stand_ins["unsubscribe_url"]
    body, html = f"{body}\nLeave: {stand_in}\n", f"<p>{html}</p><a href='{stand_in}'>Leave</a>"
    headers = {"List-Unsubscribe": f"<{stand_in}>", "Auto-Submitted": "auto-generated"}
    template = Template.build(subject, body, html, headers, stand_ins)
    message = MergedEmail(
        subject=subject,
        body=body.replace(stand_in, url),
        to=[to],
        headers={**headers, "List-Unsubscribe": f"<{url}>", "Message-ID": MESSAGE_ID},
        template=template,
        personal={"unsubscribe_url": url},
    )
    message.attach_alternative(html.replace(stand_in, url), "text/html")
    return message


def test_a_readers_copy_is_merged_and_reads_as_djangos_own():
    message = merged_email(
        "Nestlé: Rated “Kept” — 100% recycled {packaging}",
        "Dear reader,\nThe pledge {title} was kept.",
        "<b>Kept</b> — see the evidence",
        "reader@example.org",
        "https://tracker.example.org/alerts/unsubscribe/MTIz:1u8xYz:abc-_DEF/",
    )

    wire = message.message()

    assert isinstance(wire, FlattenedMessage)  # the shortcut was taken
    assert readable(wire) == readable(djangos_own(message))
    headers = dict(readable(wire)[0])
    assert headers["To"] == "reader@example.org"
    assert headers["Message-ID"] == MESSAGE_ID
    assert headers["Subject"] == "Nestlé: Rated “Kept” — 100% recycled {packaging}"


def test_values_that_would_need_encoding_take_djangos_own_path():
    international = merged_email("News", "Text", "Html", "jörg@exämple.org", "https://t.example/x/")
    spaced = merged_email("News", "Text", "Html", "a@example.org", "https://t.example/a b")
    markup = merged_email("News", "Text", "Html", "a@example.org", 'https://t.example/"><x>')

    for message in (international, spaced, markup):
        wire = message.message()
        assert not isinstance(wire, FlattenedMessage)
        assert readable(wire) == readable(djangos_own(message))


def test_a_message_that_is_not_a_copy_of_the_template_is_built_by_django():
    message = merged_email("News", "Text", "Html", "a@example.org", "https://t.example/x")
    message.subject = "Another subject"

    assert not isinstance(message.message(), FlattenedMessage)
    assert dict(readable(message.message())[0])["Subject"] == "Another subject"


def test_a_link_repeated_on_one_line_may_not_push_it_past_the_line_limit():
    stand_ins = placeholders(["unsubscribe_url"])
    line = " ".join([stand_ins["unsubscribe_url"]] * 20)  # ~500 characters: Django keeps 8bit
    template = Template.build("News", f"{line}\n", "<p>Html</p>", {}, stand_ins)
    values = {"to": "a@example.org", "message_id": MESSAGE_ID, "date": "Thu, 26 Nov 2026"}

    assert template.fits(values | {"unsubscribe_url": "https://t.example/short"})
    # 20 links of 40 characters more each would make the line ~1,300 long.
    assert not template.fits(values | {"unsubscribe_url": "https://t.example/" + "x" * 60})


def test_a_template_django_had_to_encode_is_not_used():
    # Over 998 characters on one line: Django switches that part to quoted-printable,
    # where a substituted link could be broken across lines.
    message = merged_email("News", "word " * 300, "Html", "a@example.org", "https://t.example/x")

    assert message.template is None
    assert readable(message.message()) == readable(djangos_own(message))


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
one_line = text.map(lambda s: " ".join(s.split()))
links = st.one_of(
    st.from_regex(r"https://[a-z]{1,20}\.example/[A-Za-z0-9:_/.-]{0,300}", fullmatch=True),
    text.map(lambda s: f"https://t.example/{s}"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=one_line, body=text, html=text, to=st.emails(), url=links)
def test_whatever_the_content_a_merged_copy_reads_as_djangos_own(subject, body, html, to, url):
    message = merged_email(subject, body, html, to, url)

    def outcome(build):
        try:
            wire = build()
        except BadHeaderError as exc:  # e.g. a line break in the link: refused either way
            return "refused", str(exc)
        event("merged" if isinstance(wire, FlattenedMessage) else "built by Django")
        return readable(wire)

    assert outcome(message.message) == outcome(lambda: djangos_own(message))


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

    copies = [build_message(row) for row in batch.rows]

    wires = [copy.message() for copy in copies]
    assert all(isinstance(wire, FlattenedMessage) for wire in wires)
    for row, copy, wire in zip(batch.rows, copies, wires, strict=True):
        assert readable(wire) == readable(djangos_own(copy))
        headers = dict(readable(wire)[0])
        assert headers["To"] == row.recipient
        assert headers["Message-ID"] == f"<notification-{row.pk}.alert@tracker.example.org>"
    ada, grace = (dict(readable(wire)[0])["List-Unsubscribe"].strip("<>") for wire in wires)
    assert ada != grace
    ada_text = readable(wires[0])[1][0][1]
    assert ada in ada_text
    assert grace not in ada_text
