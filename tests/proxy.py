"""A reverse proxy like the one the README prescribes, small enough to start in a test.

It appends the address of whoever connected to ``X-Forwarded-For`` and passes the request on,
as nginx's ``proxy_add_x_forwarded_for`` does. Clients bound to different loopback addresses
(127.0.0.2, 127.0.0.3, ... all reach 127.0.0.1 on Linux) are then distinct clients behind
one proxy, exactly as on the internet.
"""

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


class _Forward(BaseHTTPRequestHandler):
    upstream = None  # (host, port), set per server

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.pop("X-Forwarded-For", None)
        claimed = self.headers.get("X-Forwarded-For")
        peer = self.client_address[0]
        headers["X-Forwarded-For"] = f"{claimed}, {peer}" if claimed else peer
        host, port = self.server.upstream
        headers["Host"] = f"{host}:{port}"
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
        finally:
            connection.close()

    do_GET = do_POST = _forward

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class ForwardingProxy:
    """``with ForwardingProxy(live_server.url) as proxy:`` listens on an ephemeral port."""

    def __init__(self, upstream_url):
        parsed = urllib.parse.urlsplit(upstream_url)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Forward)
        self.server.upstream = (parsed.hostname, parsed.port)
        self.port = self.server.server_address[1]

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def request(self, client, method, path, fields=None, headers=None):
        """Send from loopback address ``client`` (e.g. "127.0.0.2"); (status, headers, body)."""
        body = urllib.parse.urlencode(fields or {}, doseq=True)
        headers = dict(headers or {})
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(client, 0)
        )
        try:
            connection.request(
                method, path, body=body if method == "POST" else None, headers=headers
            )
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()
