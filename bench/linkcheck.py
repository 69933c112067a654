"""Phase 5: the link checker on 10,000 sources (at full scale) against a local HTTP server.

The sources are spread 5 to a host over 2,000 host names (``site-N.bench.test``), as real
sources spread over news sites; this process resolves those names to 127.0.0.1 (the
bench's own resolver) and the checker's address guard is told to allow exactly them. The
server answers every HEAD with 200. The per-host limit in force is the deployment's
(``TRACKER_LINKCHECK_PER_HOST_PER_MINUTE``), counted in the database as in production;
one process (one worker) runs the checker back to back until nothing is due.

Figures (``linkcheck_10k.*``): sources, hosts, per_host_limit, bound_per_min (the most the
limit allows: hosts × limit), seconds, sources_per_min, requests (counted at the server),
max_per_host_per_min (the busiest host in any 60 s, measured at the server by Host
header; must not exceed the limit).
"""

import socket
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.utils import timezone

from commitments.domain import linkcheck
from commitments.models import Pledge, Source

SOURCES = 10_000
PER_HOST = 5
SUFFIX = ".bench.test"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        with self.server.lock:
            self.server.seen.append((self.headers.get("Host", ""), time.monotonic()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD


def _busiest(seen, window=60.0):
    by_host = defaultdict(list)
    for host, at in seen:
        by_host[host.split(":")[0]].append(at)
    most = 0
    for times in by_host.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            most = max(most, end - start + 1)
    return most


def measure(scale):
    count = max(10, round(SOURCES * scale))
    hosts = max(2, count // PER_HOST)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.seen, server.lock = [], threading.Lock()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    port = server.server_address[1]

    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(SUFFIX):
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    names = [f"site-{n}{SUFFIX}" for n in range(hosts)]
    saved_allowed = settings.TRACKER_FETCH_ALLOWED_HOSTS
    socket.getaddrinfo = resolve
    settings.TRACKER_FETCH_ALLOWED_HOSTS = set(names)
    try:
        # Only the bench's sources are due: the generated ones would go to real sites.
        Source.objects.update(next_check_at=timezone.now() + timezone.timedelta(days=365))
        pledge = Pledge.objects.order_by("pk").first()
        now = timezone.now()
        Source.objects.bulk_create(
            Source(
                pledge=pledge,
                url=f"http://{names[n % hosts]}:{port}/story/{n}",
                title=f"Bench source {n}",
                next_check_at=now,
                archive_due_at=None,
            )
            for n in range(count)
        )
        started = time.perf_counter()
        deadline = started + 1800
        while Source.objects.filter(next_check_at__lte=timezone.now()).exists():
            report = linkcheck.check_due_sources(limit=count, run_seconds=3600)
            if report.checked == 0:
                time.sleep(1)  # every due host is out of budget for this minute
            if time.perf_counter() > deadline:
                break
        seconds = time.perf_counter() - started
        checked = Source.objects.filter(last_status=200).count()
    finally:
        socket.getaddrinfo = real_getaddrinfo
        settings.TRACKER_FETCH_ALLOWED_HOSTS = saved_allowed
        server.shutdown()
        server.server_close()
    limit = settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE
    return {
        "sources": count,
        "checked": checked,
        "hosts": hosts,
        "per_host_limit": limit,
        "bound_per_min": hosts * limit,
        "seconds": round(seconds, 2),
        "sources_per_min": round(checked / seconds * 60) if seconds else None,
        "requests": len(server.seen),
        "max_per_host_per_min": _busiest(server.seen),
    }
