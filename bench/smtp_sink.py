"""An SMTP sink in its own process that counts connections and messages, and keeps nothing.

Its own process so the sink's work does not share the sender's interpreter lock:
messages/s then measures the sender. Imports nothing from Django.
"""

import asyncio
import multiprocessing
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class _Handler:
    def __init__(self, messages, last_at):
        self.messages = messages
        self.last_at = last_at

    async def handle_DATA(self, server, session, envelope):
        with self.messages.get_lock():
            self.messages.value += 1
            self.last_at.value = time.time()
        return "250 Message accepted for delivery"


class _CountingSMTP(SMTP):
    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self._connections = connections

    def connection_made(self, transport):
        with self._connections.get_lock():
            self._connections.value += 1
        super().connection_made(transport)


class _Controller(Controller):
    def __init__(self, handler, connections, **kwargs):
        super().__init__(handler, **kwargs)
        self._connections = connections

    def factory(self):
        return _CountingSMTP(self.handler, connections=self._connections, **self.SMTP_kwargs)


def _serve(port, messages, last_at, connections, ready, stop):
    controller = _Controller(
        _Handler(messages, last_at),
        connections,
        hostname="127.0.0.1",
        port=port,
        loop=asyncio.new_event_loop(),
    )
    controller.start()
    with connections.get_lock():
        connections.value = 0  # start() opens one connection of its own to check the server
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    def __init__(self, port):
        ctx = multiprocessing.get_context("spawn")
        self.port = port
        self.messages = ctx.Value("q", 0)
        self.connections = ctx.Value("q", 0)
        self.last_at = ctx.Value("d", 0.0)  # time.time() of the latest message
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._process = ctx.Process(
            target=_serve,
            args=(port, self.messages, self.last_at, self.connections, self._ready, self._stop),
            daemon=True,
        )

    def __enter__(self):
        self._process.start()
        if not self._ready.wait(30):
            self.__exit__()
            raise RuntimeError(f"SMTP sink did not start on port {self.port}")
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
