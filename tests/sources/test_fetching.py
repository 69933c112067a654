"""The fetcher against real local servers: redirects, timeouts, size cap, and refusals."""

import datetime as dt
import socket
import time

import httpx
import pytest

from commitments.domain import fetching
from commitments.domain.fetching import FetchError, Refused
from tests.webserver import page, redirect


def test_a_page_that_is_there_answers_its_status_with_one_head_request(web):
    web.route("/article", page(200))

    result = fetching.check(web.url("/article"))

    assert (result.status, result.url) == (200, web.url("/article"))
    assert [(s.method, s.path) for s in web.seen] == [("HEAD", "/article")]


def test_the_user_agent_names_the_tracker_and_its_url(web):
    web.route("/article", page(200))

    fetching.check(web.url("/article"))

    assert web.seen[0].headers["User-Agent"] == (
        "CommitmentTracker-LinkCheck/1.0 (+https://tracker.example.org)"
    )


def test_a_missing_page_answers_404_after_trying_a_ranged_get(web):
    result = fetching.check(web.url("/gone"))

    assert result.status == 404
    assert [s.method for s in web.seen] == ["HEAD", "GET"]
    assert web.seen[1].headers["Range"] == "bytes=0-1048575"


def test_a_429_to_head_is_the_answer_no_get_follows_it(web):
    web.route("/article", page(429, b"slow down", {"Retry-After": "120"}))

    result = fetching.check(web.url("/article"))

    assert result.status == 429
    assert [s.method for s in web.seen] == ["HEAD"]


def test_a_429s_wait_is_its_retry_after_in_seconds_or_as_a_date_within_bounds():
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)

    def asked(value):
        headers = httpx.Headers({} if value is None else {"Retry-After": value})
        return fetching.retry_after(fetching.Fetched(429, "https://x.example/", headers), now)

    assert asked("120") == dt.timedelta(minutes=2)
    assert asked("Mon, 02 Mar 2026 12:05:00 GMT") == dt.timedelta(minutes=5)
    assert asked("soon") == asked(None) == dt.timedelta(minutes=1)  # unreadable or absent
    assert asked("0") == dt.timedelta(seconds=1)
    assert asked("31536000") == dt.timedelta(days=1)  # a year asked: a day given
    assert asked("9" * 5000) == asked("99999999999999") == dt.timedelta(days=1)
    # "²" (as a server's bytes may decode) is a digit to Unicode, not a number of seconds.
    assert asked("²".encode("latin-1")) == dt.timedelta(minutes=1)


def test_three_redirects_are_followed_to_the_final_url(web):
    web.route("/a", redirect("/b", 301))
    web.route("/b", redirect(web.url("/c"), 302))
    web.route("/c", redirect("/final", 307))
    web.route("/final", page(200))

    result = fetching.check(web.url("/a"))

    assert result.status == 200
    assert result.url == web.url("/final")
    assert result.redirects == [web.url("/b"), web.url("/c"), web.url("/final")]


def test_a_redirect_loop_stops_at_the_redirect_limit(web, settings):
    settings.TRACKER_FETCH_MAX_REDIRECTS = 3
    web.route("/loop", redirect("/loop"))

    with pytest.raises(FetchError, match="More than 3 redirects"):
        fetching.fetch(web.url("/loop"))
    assert len(web.seen) == 4


def test_a_server_that_hangs_times_out(web, settings):
    settings.TRACKER_FETCH_TIMEOUT_SECONDS = 0.5
    web.route("/slow", lambda handler: time.sleep(5))

    started = time.monotonic()
    with pytest.raises(FetchError, match="Timed out"):
        fetching.check(web.url("/slow"))
    assert time.monotonic() - started < 2


def test_a_50_mb_body_is_cut_off_at_the_size_cap(web):
    sent = []

    def huge(handler):
        if handler.command == "HEAD":
            handler.reply(405)
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * 1024 * 1024))
        handler.end_headers()
        chunk = b"x" * 65536
        for _ in range(800):  # 50 MB
            handler.wfile.write(chunk)
            sent.append(len(chunk))

    web.route("/huge", huge)

    result = fetching.check(web.url("/huge"))

    assert result.status == 200
    assert result.truncated is True
    assert len(result.body) == 1024 * 1024
    time.sleep(0.2)
    # The rest was never downloaded: the server could write only what the socket buffers held.
    assert sum(sent) < 10 * 1024 * 1024


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.0.0.5/admin",
        "http://192.168.1.1/",
        "http://0.0.0.0:{port}/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://100.64.0.1/",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(web, target):
    target = target.format(port=web.port)
    web.route("/innocent", redirect(target))
    web.route("/secret", page(200, b"secret"))

    with pytest.raises(Refused, match="Refused"):
        fetching.check(web.url("/innocent"))
    assert [s.path for s in web.seen] == ["/innocent"]


def test_internal_addresses_are_refused_directly_too(settings):
    settings.TRACKER_FETCH_ALLOWED_HOSTS = []

    for url in ["http://localhost/", "http://127.0.0.1/", "http://169.254.169.254/"]:
        with pytest.raises(Refused):
            fetching.check(url)


def test_a_name_that_resolves_to_a_private_address_is_refused(settings, monkeypatch):
    settings.TRACKER_FETCH_ALLOWED_HOSTS = []

    def getaddrinfo(host, port, *args, **kwargs):
        # A public name whose DNS answer includes an internal address.
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(Refused, match="10.1.2.3 is a private address"):
        fetching.check("https://news.example.com/story")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "javascript:1"]
)
def test_schemes_other_than_http_and_https_are_refused(url):
    with pytest.raises(Refused, match="only http and https"):
        fetching.check(url)


def test_a_redirect_to_another_scheme_is_refused(web):
    web.route("/to-file", redirect("file:///etc/passwd"))

    with pytest.raises(Refused, match="only http and https"):
        fetching.check(web.url("/to-file"))


def test_the_allowed_list_is_empty_by_default():
    from django.conf import settings

    assert settings.TRACKER_FETCH_ALLOWED_HOSTS == []


@pytest.mark.parametrize(
    ("address", "safe"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("::", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 wrapping 169.254.169.254
        ("64:ff9b::5db8:d70e", True),  # NAT64 wrapping a public address
    ],
)
def test_unsafe_reason_judges_ipv4_and_ipv6(address, safe):
    assert (fetching.unsafe_reason(address) is None) == safe


def test_credentials_stay_with_their_host_when_it_redirects_elsewhere(web):
    from tests.webserver import WebServer

    other = WebServer()
    try:
        web.route("/save", redirect(other.url("/elsewhere")))
        web.route("/same", redirect("/save-here"))
        web.route("/save-here", page(200))
        other.route("/elsewhere", page(200))

        fetching.fetch(web.url("/save"), headers={"Authorization": "LOW key:secret"})
        fetching.fetch(web.url("/same"), headers={"Authorization": "LOW key:secret"})

        assert web.seen[0].headers["Authorization"] == "LOW key:secret"
        assert "Authorization" not in other.seen[0].headers  # another port: another origin
        assert web.seen[-1].headers["Authorization"] == "LOW key:secret"  # same origin keeps it
    finally:
        other.stop()
