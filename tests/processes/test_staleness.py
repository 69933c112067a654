"""A change made in any process shows in every other process on its next request.

Two app servers (each with its own in-process page cache, as under ``make run`` or a
production deploy without ``CACHE_URL``) serve pages; a shell and the deadline sweep,
each in a process of its own, change what they show. Run on SQLite and on PostgreSQL.
"""

import os
import re

import pytest

from tests.conftest import require_or_skip
from tests.processes.servers import AppServer, manage, process_env, shell, throwaway_database

PLEDGE = "/pledges/amazon-rekognition-police-moratorium/"

pytestmark = pytest.mark.services


def cache_url(cache):
    """No CACHE_URL (each process its own locmem cache), or a shared Redis cache."""
    if cache == "per-process":
        return {}
    broker = os.environ.get("CELERY_BROKER_URL", "")
    require_or_skip(broker.startswith("redis://"), "CELERY_BROKER_URL does not point at Redis")
    return {"CACHE_URL": broker.rsplit("/", 1)[0] + "/3"}


@pytest.fixture(
    scope="module",
    params=[
        ("sqlite", "per-process"),
        ("sqlite", "redis"),
        ("postgresql", "per-process"),
        ("postgresql", "redis"),
    ],
    ids="-".join,
)
def servers(request, tmp_path_factory):
    """Two app servers on one throwaway database, shared by this module's tests (each
    changes something different), for every database and cache combination."""
    vendor, cache = request.param
    with throwaway_database(vendor, tmp_path_factory.mktemp(vendor)) as database_url:
        env = process_env(database_url, **cache_url(cache))
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        first, second = AppServer(env), AppServer(env)
        try:
            yield env, first, second
        finally:
            first.stop()
            second.stop()


def cached_etag(server, path):
    """The page's ETag, after checking the server now answers it from its cache (304)."""
    status, headers, _ = server.get(path)
    assert status == 200
    etag = headers["ETag"]
    assert server.get(path, {"If-None-Match": etag})[0] == 304
    return etag


def test_a_change_from_the_shell_shows_in_both_servers_at_once(servers):
    env, first, second = servers
    etags = {server: cached_etag(server, PLEDGE) for server in (first, second)}
    # A bulk UPDATE sends no model signals: only the database can notice it.
    shell(
        env,
        "from commitments.models import Company; "
        "Company.objects.filter(slug='amazon').update(name='Amazon.com, Inc.')",
    )
    for server, etag in etags.items():
        status, headers, body = server.get(PLEDGE, {"If-None-Match": etag})
        assert status == 200
        assert headers["ETag"] != etag
        assert "Amazon.com, Inc." in body


def test_a_verdict_recorded_in_the_shell_shows_on_the_next_request(servers):
    env, first, second = servers
    etag = cached_etag(first, "/")
    cached_etag(second, PLEDGE)
    shell(
        env,
        "from commitments.domain import workflow; from commitments.models import Pledge; "
        "p = Pledge.objects.get(slug='amazon-rekognition-police-moratorium'); "
        "workflow.record_verdict(p, status='in_progress', rationale='Checked from a shell.', "
        "actor=None)",
    )
    status, _, body = first.get("/", {"If-None-Match": etag})
    assert status == 200
    assert "In progress" in body
    assert "Checked from a shell." in second.get(PLEDGE)[2]


def test_the_sweep_in_another_process_shows_at_once(servers):
    env, first, _ = servers
    shell(
        env,
        "import datetime as dt; from commitments.models import Company, Pledge; "
        "Pledge.objects.create(company=Company.objects.get(slug='ibm'), title='Publish an audit', "
        "slug='ibm-audit', success_criteria='An audit.', announced_on=dt.date(2020, 6, 8), "
        "deadline=dt.date(2020, 12, 31), is_published=True)",
    )
    etag = cached_etag(first, "/pledges/ibm-audit/")
    manage(env, "sweep_deadlines")
    status, headers, body = first.get("/pledges/ibm-audit/", {"If-None-Match": etag})
    assert status == 200
    assert re.search(r"Deadline of .*2020.* passed", body)
