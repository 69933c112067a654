"""The bench run: a throwaway database, data at scale, four measurements, one report.

Steps, in this order so each figure sees the data it is specified for:
 1. create the database (PostgreSQL from DATABASE_URL's server, else SQLite), migrate,
    collectstatic into a temporary STATIC_ROOT; settings are production's;
 2. generate the published site (20k companies, 100k pledges with sources and events)
    and the subscribers (when the alerts model exists);
 3. build the whole-table files (as the beat task does), then pages in-process (queries,
    server time), then throughput under each app server;
 4. top the pledge table up to 1M rows, ~1k due, and measure the sweep;
 5. fan one alert out to 10k recipients, sent by a Celery worker into an SMTP sink;
 6. check 10k sources against a local HTTP server under the per-host limit;
 7. write var/bench.json, print the table; drop the database, stop every server.
"""

import argparse
import atexit
import datetime as dt
import os
import sys
import time
from pathlib import Path

from bench.environment import BASE_DIR, Workspace, exit_on_sigterm, production_env
from bench.throughput import ROUNDS

PHASES = ("pages", "throughput", "sweep", "fanout", "linkcheck")


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data set")
    parser.add_argument("--runs", type=int, default=15, help="runs per in-process figure (median)")
    parser.add_argument(
        "--duration", type=float, default=5, help="seconds of load per target and round"
    )
    parser.add_argument("--servers", default="gunicorn,granian", help="app servers to load")
    parser.add_argument("--skip", default="", help=f"phases to skip, of: {', '.join(PHASES)}")
    parser.add_argument("--out", default=str(BASE_DIR / "var" / "bench.json"))
    parser.add_argument("--keep", action="store_true", help="keep var/bench-<pid>/ (logs)")
    args = parser.parse_args(argv)
    args.skip = {p for p in args.skip.split(",") if p}
    if unknown := args.skip - set(PHASES):
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    exit_on_sigterm()
    workspace = Workspace(keep=args.keep)
    atexit.register(workspace.close)
    try:
        return _run(args, workspace)
    finally:
        workspace.close()


class Phases:
    """Announces each phase on stderr and keeps how long it took (meta.phase_s.*)."""

    def __init__(self):
        self.seconds, self._current, self._started = {}, None, 0.0

    def start(self, name, message):
        self.stop()
        print(f"bench: {message}", file=sys.stderr, flush=True)
        self._current, self._started = name, time.perf_counter()

    def stop(self):
        if self._current:
            self.seconds[self._current] = round(time.perf_counter() - self._started, 1)
            self._current = None


def _run(args, workspace):
    started = time.perf_counter()
    database_url = workspace.create_database(os.environ.get("DATABASE_URL", ""))
    env = production_env(database_url, workspace.dir / "static")
    env["TRACKER_EXPORT_DIR"] = str(workspace.dir / "exports")
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import generate, report

    figures = {"meta": _meta(args, connection.vendor)}
    phases = Phases()
    phases.start("setup", f"{connection.vendor} database, migrating")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    sizes = generate.scaled(args.scale)
    figures["meta"]["size"] = sizes
    phases.start("generate", f"generating data at scale {args.scale:g}")
    generate.published(sizes)
    figures["subscribers"] = {"count": generate.subscribers(sizes), "note": ""}
    # COPY fires the content-version triggers, so pages cached by an earlier run (a shared
    # cache, e.g. CACHE_URL=redis://…) are already unreachable.

    if "pages" not in args.skip:
        from commitments.models import search
        from commitments.public import exports

        # What the beat task does after a change: the pages phase then times serving them,
        # and corrects misspellings from the vocabulary it rebuilt.
        phases.start("exports", "building the whole-table files and the search vocabulary")
        built = exports.build_all(force=True)
        started_vocabulary = time.perf_counter()
        search.refresh_vocabulary()
        figures["exports"] = {
            "build_s": round(built["seconds"], 2),
            "vocabulary_s": round(time.perf_counter() - started_vocabulary, 2),
        } | {
            f"{name}_bytes": (exports.export_dir() / name).stat().st_size
            for name in ("pledges.csv", "pledges.json", "deadlines.ics", "deadlines.ics.gz")
        }

    if "pages" not in args.skip or "throughput" not in args.skip:
        from bench import pages

        phases.start("pages", "pages in-process")
        figures["targets"], figures["pages"] = pages.measure(args.runs)

    if "throughput" not in args.skip:
        from bench import throughput

        timeline_bytes = figures["pages"]["timeline"].get("bytes") or 20_000
        static_path = throughput.write_static_file(env["STATIC_ROOT"], timeline_bytes)
        pledge_url = figures["pages"]["pledge"]["url"]
        load_targets = [
            throughput.Target("static", static_path),
            throughput.Target("timeline", "/", unique=True),
            throughput.Target("timeline_cached", "/", conditional=True),
            throughput.Target("pledge", pledge_url, unique=True),
        ]
        phases.start(
            "throughput", f"throughput, {args.duration:g}s per target, {throughput.ROUNDS} rounds"
        )
        figures["throughput"] = throughput.run(
            workspace,
            {**os.environ, **env},
            load_targets,
            args.duration,
            set(args.servers.split(",")),
            static_path,
        )

    if "sweep" not in args.skip:
        from bench import sweep

        phases.start("generate_sweep", "topping the pledge table up for the sweep")
        generate.sweep_filler(sizes)
        phases.start("sweep", "sweep")
        figures["sweep"] = sweep.measure(args.runs)
        from commitments.models import search

        # What the beat task does after a change, at this size: readers use the old one meanwhile.
        phases.start("vocabulary", "the search vocabulary at the sweep's size")
        started_vocabulary = time.perf_counter()
        search.refresh_vocabulary()
        figures["sweep"]["vocabulary_s"] = round(time.perf_counter() - started_vocabulary, 2)

    if "fanout" not in args.skip:
        from bench import fanout

        phases.start("fanout", "fan-out")
        figures["fanout"] = fanout.measure(workspace, {**os.environ, **env}, sizes["subscribers"])

    if "linkcheck" not in args.skip:
        from bench import linkcheck

        phases.start("linkcheck", "link checker")
        figures["linkcheck"] = linkcheck.measure(args.scale)

    phases.stop()
    figures["meta"]["phase_s"] = phases.seconds
    figures["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    figures["meta"]["loadavg_end"] = round(os.getloadavg()[0], 2)
    flat = report.flatten(figures)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report.write_json(flat, out)
    print(report.table(flat))
    print(f"bench: wrote {out}", file=sys.stderr)
    return 0


def _meta(args, vendor):
    import platform

    import django

    return {
        "scale": args.scale,
        "database": vendor,
        "cpu_count": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "git": _git_head(),
        "runs": args.runs,
        "duration_s": args.duration,
        "rounds": ROUNDS,
        # Other work on the machine skews every figure; the load average says how much.
        "loadavg_start": round(os.getloadavg()[0], 2),
    }


def _git_head():
    import subprocess

    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
