"""HTTPS through the fetcher: it connects to the address it checked, yet sends the name as
SNI and Host and verifies the certificate against the name."""

import shutil
import ssl
import subprocess

import pytest

from commitments.domain import fetching
from commitments.domain.fetching import FetchError
from tests.conftest import require_or_skip
from tests.webserver import page


@pytest.fixture
def tls_web(web, tmp_path):
    require_or_skip(shutil.which("openssl"), "openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    web.sni = []
    context.sni_callback = lambda sock, name, ctx: web.sni.append(name)
    web.httpd.socket = context.wrap_socket(web.httpd.socket, server_side=True)
    web.cert = cert
    return web


def test_https_sends_the_name_and_verifies_the_certificate_against_it(tls_web, monkeypatch):
    tls_web.route("/story", page(200))
    trusting = ssl.create_default_context(cafile=str(tls_web.cert))
    monkeypatch.setattr(fetching, "_tls", lambda: trusting)

    result = fetching.check(f"https://localhost:{tls_web.port}/story")

    assert result.status == 200
    assert tls_web.sni == ["localhost"]
    assert tls_web.seen[0].headers["Host"] == f"localhost:{tls_web.port}"


def test_a_certificate_nobody_vouches_for_is_refused(tls_web):
    tls_web.route("/story", page(200))

    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        fetching.check(f"https://localhost:{tls_web.port}/story")
