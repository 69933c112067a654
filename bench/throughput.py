"""Phase 2: requests/s under a real app server, as a ratio to a static file through the same server.

Each server in ``SERVERS`` is started in its own process group on a free loopback
port with production settings, and loaded from a second process: ``wrk`` when it
is installed (``apt-get install -y wrk``), else a bounded Python client. The
static file has the timeline page's byte size and is served by whitenoise, so the
ratio reads as "how close this page is to what the hardware and server allow".
"""

import http.client
import itertools
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.environment import BASE_DIR

CONNECTIONS = 8
ROUNDS = 3
STATIC_NAME = "bench-static.html"


def _cores():
    return os.cpu_count() or 2


@dataclass(frozen=True)
class Server:
    name: str
    argv: tuple  # {port} and {workers} are filled in
    needs: str  # importable module that must exist, else the server is skipped


SERVERS = [
    # The alternative: the repo's gunicorn.conf.py (sync workers), bound to loopback here.
    Server(
        "gunicorn",
        ("-m", "gunicorn", "tracker.wsgi:application", "--config", "gunicorn.conf.py",
         "--bind", "127.0.0.1:{port}", "--workers", "{workers}"),
        "gunicorn",
    ),
    # The compose default: scripts/serve-web's granian options, bound to loopback here.
    Server(
        "granian",
        ("-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", "{port}",
         "--workers", "{workers}", "--blocking-threads", "1", "--no-ws",
         "--respawn-failed-workers", "--workers-kill-timeout", "20", "--access-log",
         "tracker.wsgi:application"),
        "granian",
    ),
]  # fmt: skip


def workers_for(server):
    # gunicorn: gunicorn.conf.py's default, 3 sync workers for two cores; granian: what
    # scripts/serve-web runs, WEB_CONCURRENCY workers, else one per core.
    if server == "gunicorn":
        return int(os.environ.get("WEB_CONCURRENCY", "3"))
    return int(os.environ.get("WEB_CONCURRENCY", _cores()))


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    conditional: bool = False  # repeat with If-None-Match when the page sends an ETag
    # A new URL per request (?bench=<n>): every request misses the page cache and renders.
    unique: bool = False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_static_file(static_root, size):
    """A static file the same size as the page it stands in for, in STATIC_ROOT for whitenoise."""
    body = (secrets.token_hex(max(size // 2, 1)) + "\n")[:size]
    Path(static_root, STATIC_NAME).write_text(body)
    return f"/static/{STATIC_NAME}"


def run(workspace, env, targets, duration, servers, static_path):
    """Start each server, load each target for ``duration`` seconds; a flat dict of results."""
    results = {"client": "wrk" if shutil.which("wrk") else "python"}
    for server in SERVERS:
        if server.name not in servers:
            continue
        if _missing(server.needs):
            results[server.name] = {"note": f"skipped: {server.needs} is not installed"}
            continue
        port = free_port()
        workers = workers_for(server.name)
        argv = [sys.executable, *(a.format(port=port, workers=workers) for a in server.argv)]
        proc = workspace.start_server(server.name, argv, env)
        try:
            _wait_until_up(proc, port, static_path, workspace.server_log, server.name)
            # Rounds interleave the targets, so a burst of other work on the machine
            # lands on all of them rather than on one; each figure is the median round.
            rounds = {target.name: [] for target in targets}
            for _ in range(ROUNDS):
                for target in targets:
                    rounds[target.name].append(load(port, target, duration))
            figures = {"workers": workers}
            for name, runs in rounds.items():
                median = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
                figures[name] = median | {"rps_runs": [run["rps"] for run in runs]}
            results[server.name] = figures
        finally:
            workspace.stop_server(proc)
    return results


def _missing(module):
    import importlib.util

    return importlib.util.find_spec(module) is None


def _wait_until_up(proc, port, path, read_log, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{read_log(name)}")
        try:
            status, _ = _get(port, path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer on port {port} within {timeout}s:\n{read_log(name)}")


BASE_HEADERS = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


def _get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=BASE_HEADERS | (headers or {}))
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


def load(port, target, duration):
    """Requests/s and latency for one target; conditional targets send the page's own ETag."""
    headers = {}
    status, first = _get(port, target.path)
    etag = {k.lower(): v for k, v in first.items()}.get("etag")
    if target.conditional and etag:
        headers["If-None-Match"] = etag
        status, _ = _get(port, target.path, headers)
    if shutil.which("wrk"):
        measured = _wrk(port, target.path, headers, duration, target.unique)
    else:
        measured = _python_client(port, target.path, headers, duration, target.unique)
    measured |= {"status": status, "conditional": bool(target.conditional and etag)}
    return measured


WRK_UNIQUE = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, PREFIX .. counter)
end
"""

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _unique_prefix(path):
    """What goes before a request's serial number; new each load, as the cache may be shared."""
    return f"{path}{'&' if '?' in path else '?'}bench={secrets.token_hex(4)}-"


def _wrk(port, path, headers, duration, unique=False):
    script = Path(BASE_DIR, "var", f"bench-wrk-{os.getpid()}.lua")
    lua = WRK_SCRIPT
    if unique:
        lua = WRK_UNIQUE.replace("PREFIX", json.dumps(_unique_prefix(path))) + lua
    script.write_text(lua)
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(round(duration), 1)}s", "--timeout", "10s"]
    argv += ["-s", str(script)]
    for key, value in (BASE_HEADERS | headers).items():
        argv += ["-H", f"{key}: {value}"]
    argv.append(f"http://127.0.0.1:{port}{path}")
    try:
        out = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 30, check=True
        ).stdout
    finally:
        script.unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    raw = json.loads(line.removeprefix("BENCHJSON "))
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "requests": raw["requests"],
        "errors": raw["errors"],
    }


def _python_client(port, path, headers, duration, unique=False):
    """The fallback load: CONNECTIONS threads with keep-alive, bounded by time and count."""
    stop_at = time.monotonic() + duration
    latencies, errors, lock = [], [0], threading.Lock()
    max_requests = 200_000
    serial = itertools.count()
    prefix = _unique_prefix(path)

    def worker():
        conn = None
        mine, failed = [], 0
        while time.monotonic() < stop_at and len(mine) < max_requests // CONNECTIONS:
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                started = time.perf_counter()
                url = f"{prefix}{next(serial)}" if unique else path
                conn.request("GET", url, headers=BASE_HEADERS | headers)
                response = conn.getresponse()
                response.read()
                mine.append(time.perf_counter() - started)
                if response.status >= 400:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                failed += 1
                conn = None
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(p99 * 1000, 2),
        "requests": len(latencies),
        "errors": errors[0],
    }
