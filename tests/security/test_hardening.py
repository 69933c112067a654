"""Oversized requests, what a crash shows, and secrets kept out of the repository."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from tests.factories import PledgeFactory
from tracker.wsgi import application

TEN_MB = 10 * 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


class CountingInput(io.RawIOBase):
    """A request body of ``size`` bytes that is produced only as far as it is read."""

    def __init__(self, size, chunk=b"email=a%40example.org&x="):
        self.size, self.read_so_far, self.chunk = size, 0, chunk

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_so_far)
        buffer[:n] = (self.chunk * (n // len(self.chunk) + 1))[:n]
        self.read_so_far += n
        return n


def post_through_wsgi(path, body, content_type):
    """A POST through the real WSGI handler and middleware, with a CSRF cookie and header."""
    token = "a" * 32
    environ = RequestFactory().generic("POST", path, content_type=content_type).environ
    environ.update(
        {
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.size),
            "CONTENT_TYPE": content_type,
            "HTTP_COOKIE": f"{django_settings.CSRF_COOKIE_NAME}={token}",
            "HTTP_X_CSRFTOKEN": token,
        }
    )
    started = {}
    chunks = application(environ, lambda status, headers: started.update(status=status))
    return int(started["status"].split()[0]), b"".join(chunks).decode()


@pytest.mark.django_db
class TestOversizedRequests:
    def test_a_10_mb_form_post_is_refused_before_its_body_is_read(self):
        body = CountingInput(TEN_MB)
        status, page = post_through_wsgi(
            reverse("commitments:alerts-subscribe"), body, "application/x-www-form-urlencoded"
        )
        assert status == 400
        assert "We could not read that request" in page
        assert body.read_so_far == 0  # Content-Length alone was enough to say no

    def test_a_10_mb_multipart_post_is_refused_after_at_most_the_allowed_size(self):
        boundary = "XyZ"
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
        body = CountingInput(TEN_MB, chunk=head.encode() + b"a" * 4000)
        status, page = post_through_wsgi(
            reverse("commitments:alerts-subscribe"),
            body,
            f"multipart/form-data; boundary={boundary}",
        )
        assert status == 400
        assert "We could not read that request" in page
        assert body.read_so_far < 2 * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def test_a_100_kb_search_is_shortened_and_answered(self, client):
        PledgeFactory(title="Moratorium on facial recognition")
        response = client.get(reverse("commitments:home"), {"q": "Moratorium" + "x" * 100_000})
        assert response.status_code == 200
        assert "Your search was shortened to its first 100 characters." in response.text
        assert len(response.content) < 100_000  # the search is not echoed back in full

    @pytest.mark.parametrize(
        "url_name", ["commitments:api_pledges", "commitments:export_csv", "commitments:feed"]
    )
    def test_a_100_kb_search_on_data_endpoints_is_answered(self, client, url_name):
        response = client.get(reverse(url_name), {"q": "x" * 100_000})
        assert response.status_code == 200


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.security.urls_crash", DEBUG=False)
def test_a_crash_shows_the_plain_500_page_and_no_internals():
    client = Client(raise_request_exception=False)
    response = client.get("/crash/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    for leak in ("Traceback", "hunter2", "RuntimeError", "SECRET_KEY", "settings", "crash"):
        assert leak not in page
    assert django_settings.SECRET_KEY not in page
    assert "default-src 'self'" in response["Content-Security-Policy"]


# Secrets that must never be committed. Placeholders in docs and tests are fine.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "secret assignment": re.compile(
        r"""^[ \t]*(?:export[ \t]+)?[A-Z_]*(?:SECRET|PASSWORD|TOKEN|API_KEY)[A-Z_]*[ \t]*[=:][ \t]*["']?([^\s"'#]+)""",
        re.MULTILINE,
    ),
    "credentials in a URL": re.compile(r"://[\w.-]+:([^@\s/$'\"{}]+)@(?!db:|localhost|127\.)"),
}
# What a value in a tracked file may be: empty, a placeholder or a lookup of the environment.
PLACEHOLDER = re.compile(
    r"^(?:|\$\{.*|\$[A-Z_]+|<.*>|change-?me.*|placeholder|example.*|x+|\*+|password|secret|"
    r"env[.(].*|os\.environ.*|\$\(.*|(?-i:[A-Z_]+)|None|True|False|\d+|.*_FILE|\(.*|\[.*|\{.*|"
    r"pass|user:pass)$",
    re.IGNORECASE,
)


def tracked_text_files():
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        path = REPO / name
        if name.startswith(("tests/", "bench/")) or not path.is_file():
            continue  # tests hold made-up credentials on purpose
        try:
            yield name, path.read_text()
        except UnicodeDecodeError:
            continue


def test_no_secrets_are_committed():
    found = []
    for name, text in tracked_text_files():
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                value = match.group(1) if pattern.groups else match.group(0)
                if pattern.groups and PLACEHOLDER.match(value):
                    continue
                found.append(f"{name}: {label}: {match.group(0).strip()[:60]}")
    assert found == []


def test_the_secret_scan_recognises_a_real_secret():
    # The scan above passing means something only if it would catch one.
    samples = [
        "-----BEGIN RSA PRIVATE KEY-----",
        "aws = 'AKIAIOSFODNN7EXAMPLE'",
        "SECRET_KEY=9f8a7sd6f5a4sd3f2a1sdf0a9s8d7f6a5s4d3f2a1",
        "EMAIL_HOST_PASSWORD=correcthorsebattery",
        "DATABASE_URL=postgres://tracker:s3cr3t-pass@prod-db.example.org/tracker",
    ]
    for sample in samples:
        hits = [
            label
            for label, pattern in SECRET_PATTERNS.items()
            for match in pattern.finditer(sample)
            if not (pattern.groups and PLACEHOLDER.match(match.group(1)))
        ]
        assert hits, sample
