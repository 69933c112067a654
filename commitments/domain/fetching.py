"""Fetching a URL someone typed, without letting it reach inside our own network.

Sources are URLs staff type or import; the link checker and the archiver fetch them from
a worker that can see the database, Redis and the cloud's metadata service. So every
request made here:

1. refuses a scheme other than http and https;
2. resolves the host itself and refuses it if *any* address it resolves to is loopback,
   private, link-local (169.254.169.254 included), multicast, reserved, unspecified or
   otherwise not globally routable, in IPv4 or IPv6 (an IPv4-mapped or 6to4/Teredo IPv6
   address is judged by the IPv4 address inside it);
3. connects to the address it checked (the URL's host goes in the Host header and TLS
   SNI, and the certificate is verified against the name), so a second DNS answer cannot
   swap in another address between the check and the connection;
4. follows redirects itself, at most ``TRACKER_FETCH_MAX_REDIRECTS``, running 1-3 again
   for every hop;
5. gives up after ``TRACKER_FETCH_TIMEOUT_SECONDS`` per step and in total, and never reads
   more than ``TRACKER_FETCH_MAX_BYTES`` of a body (the rest is not downloaded);
6. says who it is: a User-Agent naming the tracker and its ``SITE_URL``.

Tests reach servers on this machine only through ``TRACKER_FETCH_ALLOWED_HOSTS`` (host
names or host:port exactly as written in the URL; empty by default), which skips step 2
for those names alone: a redirect to "127.0.0.1" is still refused when only "localhost"
is listed.
"""

import email.utils
import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import certifi
import httpx
from django.conf import settings

REDIRECT_CODES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
# The longest a site's 429 may ask us to wait before its host hears from us again.
MAX_RETRY_AFTER = timedelta(days=1)


class FetchError(Exception):
    """The URL could not be fetched: timeout, connection failure, too many redirects…"""


class Refused(FetchError):
    """The URL was not fetched because policy forbids it (scheme or address)."""


@dataclass
class Fetched:
    status: int
    url: str  # the final URL, after redirects
    headers: httpx.Headers
    body: bytes = b""
    truncated: bool = False  # the body went on past the size cap and was not read
    redirects: list[str] = field(default_factory=list)  # the URLs redirected to, in order


@functools.cache
def _tls():
    """One TLS context per process: building one loads the CA bundle (~50 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


def user_agent():
    return f"CommitmentTracker-LinkCheck/1.0 (+{settings.SITE_URL})"


def _allowed(parts):
    allowed = settings.TRACKER_FETCH_ALLOWED_HOSTS
    host = (parts.hostname or "").lower()
    return host in allowed or f"{host}:{parts.port}" in allowed


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def unsafe_reason(address):
    """Why an IP address is off limits, or None when it is a public address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in NAT64:
            # A NAT64 gateway turns 64:ff9b::a9fe:a9fe into 169.254.169.254.
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            reason = unsafe_reason(str(inner))
            return f"{reason} (inside {ip})" if reason else None
    for flag in (
        "is_loopback",
        "is_link_local",
        "is_multicast",
        "is_unspecified",
        "is_reserved",
        "is_private",
    ):
        if getattr(ip, flag):
            return f"{ip} is a {flag.removeprefix('is_').replace('_', '-')} address"
    if not ip.is_global:  # shared address space (100.64/10) and the like
        return f"{ip} is not a public address"
    return None


def resolve(parts):
    """The addresses to connect to for a URL's host, each checked (``Refused`` if any fail)."""
    host = parts.hostname
    if not host:
        raise Refused("The URL has no host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"The host {host} could not be resolved ({exc}).") from exc
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))
    if not _allowed(parts):
        # Every address, not just the first: a name that resolves to a public and a
        # private address could be connected to either.
        for address in addresses:
            reason = unsafe_reason(address)
            if reason:
                raise Refused(f"Refused {host}: {reason}.")
    return addresses


def _check_url(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"Refused {url[:100]}: only http and https URLs are fetched.")
    if not parts.hostname:
        raise Refused(f"Refused {url[:100]}: the URL has no host.")
    if parts.username or parts.password:
        raise Refused("Refused a URL with a user name or password in it.")
    return parts


def _pinned_url(parts, address):
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _host_header(parts):
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _timeout():
    seconds = settings.TRACKER_FETCH_TIMEOUT_SECONDS
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _send_once(client, method, parts, *, headers, content, deadline, max_bytes, read_body):
    """One request to one checked address; the body read up to ``max_bytes``."""
    addresses = resolve(parts)
    last_error = None
    for address in addresses:
        request = client.build_request(
            method,
            _pinned_url(parts, address),
            headers={**headers, "Host": _host_header(parts)},
            content=content,
            extensions={"sni_hostname": parts.hostname, "timeout": _timeout().as_dict()},
        )
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last_error = exc
            continue  # the next address of the name, if any
        try:
            body, truncated = b"", False
            if read_body:
                chunks, size = [], 0
                for chunk in response.iter_raw(CHUNK):
                    if time.monotonic() > deadline:
                        raise FetchError("Timed out reading the response.")
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        truncated = True
                        break
                body = b"".join(chunks)[:max_bytes]
            return response, body, truncated
        finally:
            response.close()
    raise FetchError(f"Could not connect to {parts.hostname}: {last_error}.")


CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}


def _origin(url):
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def fetch(
    url,
    *,
    method="GET",
    headers=None,
    content=None,
    read_body=True,
    max_bytes=None,
    before_request=None,
):
    """Fetch ``url`` by the rules in the module docstring; raises ``FetchError``/``Refused``.

    ``before_request(host)`` is called before every request, redirects included (the
    per-host budget of ``linkcheck``); whatever it raises stops the fetch.

    A redirect turns POST into GET (as browsers do for 301/302/303) and drops the body.
    The response body is the raw bytes as sent (a compressed body is not decompressed:
    we ask for none with Accept-Encoding: identity).
    """
    max_bytes = settings.TRACKER_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + settings.TRACKER_FETCH_TIMEOUT_SECONDS * 2
    headers = {
        "User-Agent": user_agent(),
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    redirects = []
    with httpx.Client(
        follow_redirects=False, timeout=_timeout(), trust_env=False, verify=_tls()
    ) as client:
        while True:
            parts = _check_url(url)
            if time.monotonic() > deadline:
                raise FetchError("Timed out.")
            if before_request is not None:
                before_request(parts.hostname.lower())
            try:
                response, body, truncated = _send_once(
                    client,
                    method,
                    parts,
                    headers=headers,
                    content=content,
                    deadline=deadline,
                    max_bytes=max_bytes,
                    read_body=read_body,
                )
            except httpx.TimeoutException as exc:
                raise FetchError(f"Timed out ({type(exc).__name__}).") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}") from exc
            location = response.headers.get("location")
            if response.status_code in REDIRECT_CODES and location:
                if len(redirects) >= settings.TRACKER_FETCH_MAX_REDIRECTS:
                    raise FetchError(f"More than {settings.TRACKER_FETCH_MAX_REDIRECTS} redirects.")
                url = urljoin(url, location.strip())
                redirects.append(url)
                if _origin(url) != _origin(parts.geturl()):
                    # As httpx and browsers do: credentials (the archive's API key) are
                    # for the host they were given to, not wherever it redirects.
                    headers = {
                        name: value
                        for name, value in headers.items()
                        if name.lower() not in CREDENTIAL_HEADERS
                    }
                if response.status_code == 303 or (
                    response.status_code in (301, 302) and method == "POST"
                ):
                    method, content = "GET", None
                continue
            return Fetched(
                status=response.status_code,
                url=url,
                headers=response.headers,
                body=body,
                truncated=truncated,
                redirects=redirects,
            )


def check(url, *, before_request=None):
    """Is ``url`` still there? HEAD first; a server that will not answer HEAD properly gets
    a GET for the first bytes only (Range), and the body is cut off at the size cap."""
    response = fetch(url, method="HEAD", read_body=False, before_request=before_request)
    if 200 <= response.status < 300 or response.status == 429:
        return response  # a 429 asks us to wait: no GET straight after it
    # Many servers answer HEAD with 403/404/405/501 yet serve GET; only a GET can tell.
    return fetch(
        url,
        headers={"Range": f"bytes=0-{settings.TRACKER_FETCH_MAX_BYTES - 1}"},
        before_request=before_request,
    )


def retry_after(fetched, now):
    """How long a 429 asks us to wait: its Retry-After (seconds or an HTTP date), a minute
    when it has none or it cannot be read, at least a second and at most a day."""
    value = (fetched.headers.get("retry-after") or "").strip()
    if value.isascii() and value.isdigit():
        # Any site can send this: too many digits would overflow timedelta (or int()).
        wait = MAX_RETRY_AFTER if len(value) > 9 else timedelta(seconds=int(value))
    else:
        try:
            wait = email.utils.parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            wait = timedelta(minutes=1)
    return max(timedelta(seconds=1), min(wait, MAX_RETRY_AFTER))
