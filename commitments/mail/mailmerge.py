"""Mail merge: one message flattened once, personalised per reader by substitution.

A site-wide alert goes to thousands of readers, and the copies differ only in the
address, the Message-ID, the Date and two personal links. Building and flattening
a MIME tree is most of what sending one copy costs (~1.5 ms of ~3 ms), so
``Template`` lets Django build the message once with placeholders in those places,
and ``MergedEmail.message()`` hands the backends each reader's bytes with the real
values put in.

Substitution is only done where it gives the bytes Django would give:
- placeholders are random per template, so no pledge text can contain one;
- the template is refused if Django encoded a part (quoted-printable or base64, e.g.
  for a line over 998 characters) or folded a placeholder apart: each must appear in
  the wire form exactly as often as it was put in;
- a value is refused unless it is plain ASCII with no whitespace (an international
  address, say, would need encoding).
Anything refused is built the ordinary way, so merging is never more than a shortcut.

Kept because the fan-out target (>= 500 msg/s) is not met without it. Measured alone
(issue 14), on PostgreSQL with ``python -m bench --scale 0.5 --skip
pages,throughput,sweep,linkcheck`` (5,000 followers, two worker processes, 2 shared
cores at load ~2.6), two back-to-back pairs: 546 and 548 msg/s with it against 372 and
346 msg/s with every copy built by ``EmailMultiAlternatives`` (1.5x). That is below the
2x the issue asks of a fast path, so it stays only while the target needs it: if the
workers get faster, replace ``MergedEmail`` by ``EmailMultiAlternatives`` in
``alert_messages`` and delete this module.
"""

import re
import secrets
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
# Printable ASCII that reads the same in a header, in text and in HTML (nothing to escape).
_VERBATIM = re.compile(r"[A-Za-z0-9!#$%()*+,./:;=?@\[\]^_`{|}~-]+")
_ENCODED_PART = re.compile(rb"Content-Transfer-Encoding: (quoted-printable|base64)", re.I)
# The longest line RFC 5322 allows; a substituted line must stay within it.
_MAX_LINE = 998


def placeholders(names):
    """Random stand-ins for the personal values ``names``, to render the shared copy with.

    The closing "Z" (names are lower case) keeps one stand-in from being the start of another.
    """
    nonce = secrets.token_hex(8)
    return {name: f"merge{nonce}{name.replace('_', '').lower()}Z" for name in names}


class Template:
    """A message's wire form with placeholders in it.

    ``build`` returns ``None`` when substitution would not give what Django gives.
    """

    def __init__(self, data, wire, headroom, *, subject, from_email):
        self.data = data
        self.wire = wire  # value name -> its placeholder, as bytes
        self.times = {name: data.count(stand_in) for name, stand_in in wire.items()}
        # How much longer a substituted line may get (see ``fits``).
        self.headroom = headroom
        # What every copy shares; a message that differs is not a copy of this one.
        self.subject, self.from_email = subject, from_email

    @classmethod
    def build(cls, subject, body, html, headers, personal):
        """The wire form of a text ``body`` with an ``html`` alternative, built by Django.

        ``personal`` maps each personal value's name to the placeholder that stands for it
        in the bodies and headers (see ``placeholders``).
        """
        stand_ins = {
            **personal,
            **placeholders(("to", "message_id", "date")),
        }
        stand_ins["to"] += "@merge.invalid"
        stand_ins["message_id"] = f"<{stand_ins['message_id']}@merge.invalid>"
        message = EmailMultiAlternatives(
            subject=subject,
            body=body,
            to=[stand_ins["to"]],
            headers={**headers, "Message-ID": stand_ins["message_id"], "Date": stand_ins["date"]},
        )
        message.attach_alternative(html, "text/html")
        data = message.message().as_bytes(linesep="\r\n")
        if _ENCODED_PART.search(data):
            return None
        texts = [body, html, *headers.values()]
        for name, stand_in in stand_ins.items():
            put_in = sum(text.count(stand_in) for text in texts) if name in personal else 1
            if data.count(stand_in.encode()) != put_in:
                return None  # folded apart, or encoded
        longest = max(len(line) for line in data.split(b"\r\n"))
        wire = {name: stand_in.encode() for name, stand_in in stand_ins.items()}
        return cls(data, wire, _MAX_LINE - longest, subject=subject, from_email=message.from_email)

    def fits(self, values):
        """May these values go in as they are: no encoding needed, no line too long?"""
        if not _PLAIN_ADDRESS.fullmatch(values["to"]):
            return False
        growth = 0
        for name, value in values.items():
            if name in ("message_id", "date"):  # ours, not a reader's: one ASCII line will do
                verbatim = value.isascii() and "\n" not in value and "\r" not in value
            else:
                verbatim = bool(_VERBATIM.fullmatch(value))
            if not verbatim:
                return False
            growth += max(len(value) - len(self.wire[name]), 0) * self.times[name]
        # Crude but safe: as if every occurrence of every value lengthened the same line.
        return growth <= self.headroom

    def merge(self, values):
        data = self.data
        for name, value in values.items():
            data = data.replace(self.wire[name], value.encode("ascii"))
        return data


class FlattenedMessage:
    """What ``EmailMessage.message()`` returns, already in wire form: the backends only
    call ``as_bytes`` (and the console backend ``get_charset``)."""

    def __init__(self, data):
        self.data = data  # CRLF line endings

    def as_bytes(self, unixfrom=False, linesep="\n"):
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n"):
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def get_charset(self):
        return None

    def __getitem__(self, name):
        from email import message_from_bytes

        return message_from_bytes(self.data)[name]


class MergedEmail(EmailMultiAlternatives):
    """An ordinary email (tests and the locmem backend see its real bodies and headers)
    whose wire form comes from ``template``, with ``personal`` values put in, when the
    template accepts them. It must carry a fixed Message-ID header."""

    def __init__(self, *args, template=None, personal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.personal = personal or {}

    def message(self):
        message_id = self.extra_headers.get("Message-ID")
        template = self.template
        if template is None or not message_id or len(self.to) != 1 or self.cc or self.bcc:
            return super().message()
        if (self.subject, self.from_email) != (template.subject, template.from_email):
            return super().message()
        values = {
            **self.personal,
            "to": self.to[0],
            "message_id": message_id,
            "date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        }
        if not template.fits(values):
            return super().message()
        return FlattenedMessage(template.merge(values))
