"""A real HTTP server on this machine for tests that fetch URLs (no network needed).

Each test registers routes (path → handler function); the server answers from a thread
and records every request it received, with the time, so tests can count and time them.
Tests reach it as http://localhost:PORT, with "localhost" in TRACKER_FETCH_ALLOWED_HOSTS;
"127.0.0.1" stays refused, which is how a redirect to the loopback address is tested.
"""

import contextlib
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        with server.lock:
            server.seen.append(Seen(self.command, self.path, dict(self.headers), body, time.time()))
        path = self.path.split("?")[0]
        route = server.routes.get(path) or server.routes.get("*")
        if route is None:
            self.reply(404, b"not found")
            return
        # The client may stop reading (a size cap, a timeout): as intended.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    do_GET = do_HEAD = do_POST = _handle

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        headers = {"Content-Type": "text/html", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class WebServer:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.httpd.seen = []
        self.httpd.lock = threading.Lock()
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def seen(self):
        with self.httpd.lock:
            return list(self.httpd.seen)

    def route(self, path, handler):
        self.httpd.routes[path] = handler

    def url(self, path, host="localhost"):
        return f"http://{host}:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def page(status=200, body=b"<h1>ok</h1>", headers=None):
    return lambda handler: handler.reply(status, body, headers)


def redirect(location, status=302):
    return lambda handler: handler.reply(status, b"", {"Location": location})
