"""Real SMTP servers on free loopback ports, for fault and end-to-end tests."""

import contextlib
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Accepts mail, after answering "451 try again later" to the first ``refuse`` messages."""

    def __init__(self, refuse=0):
        self.refuse = refuse
        self.attempts = 0
        self.received = []  # email.message.EmailMessage

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 2.0.0 Queued"


class Greylisting(Sink):
    """A mail server as real ones behave: ``451`` to the first attempt for each address
    at ``stage`` (MAIL, RCPT or DATA, usually RCPT; None: no greylisting), ``550`` at
    RCPT to the addresses in ``unknown``, and everything else accepted."""

    def __init__(self, stage="RCPT", unknown=()):
        super().__init__()
        self.stage = stage
        self.unknown = set(unknown)
        self.greylisted = set()  # addresses refused once already
        self.refusals = []  # (stage, address, code)

    def _first_time(self, address):
        if address in self.greylisted:
            return False
        self.greylisted.add(address)
        return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # The sender is the same for every message: refuse only the first MAIL ever.
        if self.stage == "MAIL" and self._first_time("MAIL"):
            self.refusals.append(("MAIL", address, 451))
            return "451 4.7.1 Greylisted, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            self.refusals.append(("RCPT", address, 550))
            return "550 5.1.1 No such user here"
        if self.stage == "RCPT" and self._first_time(address):
            self.refusals.append(("RCPT", address, 451))
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        [address] = envelope.rcpt_tos
        if self.stage == "DATA" and self._first_time(address):
            self.refusals.append(("DATA", address, 451))
            return "451 4.7.1 Greylisted, try again later"
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 2.0.0 Queued"


class GreylistingMailbox(Mailbox):
    """A Maildir that greylists: ``451`` to the first RCPT of each address, then accepts.

    For the compose smoke check, as aiosmtpd's command line runs it:
    ``python -m aiosmtpd -n -c tests.reminders.smtp.GreylistingMailbox MAILDIR``.
    Each refusal is printed ("greylisted ADDRESS"), so the log shows the server did refuse.
    """

    def __init__(self, mail_dir, message_class=None):
        super().__init__(mail_dir, message_class)
        self.greylisted = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address not in self.greylisted:
            self.greylisted.add(address)
            print(f"greylisted {address}", flush=True)
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextlib.contextmanager
def smtp_sink(sink):
    """Run ``sink`` on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextlib.contextmanager
def hanging_smtp_server():
    """Accepts TCP connections and never says a word. Yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
