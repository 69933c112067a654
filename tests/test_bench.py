"""`make bench` keeps working: a tiny run writes every stable key with sane values and cleans up.

The figures themselves are not asserted (a benchmark reports, CI does not time it);
what is asserted is that each phase ran against real data and real servers.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from bench.pages import PAGES
from bench.report import stable_keys

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    argv = [sys.executable, "-m", "bench", "--scale", "0.001", "--runs", "2", "--duration", "1"]
    argv += ["--servers", "granian", "--out", str(out)]
    # One worker: the figures do not matter here, the start-up time does.
    env = os.environ | {"WEB_CONCURRENCY": "1"}
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    return proc.pid, json.loads(out.read_text()), output


def test_bench_writes_every_stable_key(tiny_run):
    _, figures, _ = tiny_run
    assert sorted(set(stable_keys()) - set(figures)) == []
    assert figures["meta.scale"] == 0.001
    assert figures["meta.database"] in {"sqlite", "postgresql"}
    assert figures["meta.size.pledges"] == 100


def test_bench_measures_each_wired_page_and_marks_the_others_not_available(tiny_run):
    _, figures, _ = tiny_run
    for page in PAGES:
        if page.url is None or figures[f"{page.name}.status"] == 404:
            assert figures[f"{page.name}.note"].startswith("not available"), page.name
            continue
        assert figures[f"{page.name}.status"] == 200, page.name
        assert figures[f"{page.name}.p50_ms"] > 0, page.name
        if page.single:  # a whole-table file: prebuilt, served without the database
            assert figures[f"{page.name}.queries"] == 0, page.name
            assert figures[f"{page.name}.first_byte_ms"] > 0, page.name
        else:
            assert figures[f"{page.name}.queries"] >= 1, page.name
    assert figures["exports.build_s"] > 0
    assert figures["timeline_deep.status"] == 200


def test_bench_loads_the_timeline_against_a_static_file_of_its_size(tiny_run):
    _, figures, _ = tiny_run
    for target in ("static", "timeline", "timeline_cached", "pledge"):
        assert figures[f"{target}.rps"] > 0, target
        assert figures[f"{target}.errors"] == 0, target
    assert figures["static.rps_ratio_to_static"] == 1.0
    assert figures["timeline.rps_ratio_to_static"] > 0


def test_bench_reads_the_sweep_plan_and_sends_the_fan_out_through_the_sink(tiny_run):
    _, figures, _ = tiny_run
    assert figures["sweep_1m.pledges"] == figures["meta.size.sweep_pledges"] == 1000
    assert figures["sweep_1m.due"] == figures["meta.size.due"] == 1
    assert figures["sweep_1m.uses_index"] is True
    assert figures["fanout_10k.messages"] == figures["fanout_10k.recipients"] == 10
    batches = math.ceil(figures["fanout_10k.recipients"] / figures["fanout_10k.batch_size"])
    assert 1 <= figures["fanout_10k.smtp_connections"] <= batches


def test_bench_prints_a_table_and_leaves_no_database_or_files_behind(tiny_run):
    pid, _, output = tiny_run
    assert "Throughput: granian" in output
    assert not (ROOT / "var" / f"bench-{pid}").exists()
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        server = urlsplit(database_url)._replace(path="/postgres").geturl()
        with psycopg.connect(server) as conn:
            left = conn.execute(
                "select 1 from pg_database where datname = %s", [f"tracker_bench_{pid}"]
            ).fetchall()
        assert left == []


def test_bench_recommends_another_app_server_only_when_it_is_clearly_faster():
    from bench.report import recommend

    assert recommend({"granian": 60, "gunicorn": 65}) == "granian"
    assert recommend({"granian": 60, "gunicorn": 90}) == "gunicorn"
    assert recommend({"gunicorn": 90}) == "gunicorn"
    assert recommend({}) is None
