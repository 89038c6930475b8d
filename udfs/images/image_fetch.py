"""Downloading one image URL safely: a status for every URL, never an exception.

Only http and https, no credentials in URLs. Every hop (the URL and each redirect, up to
``max_redirects``) is resolved once and each address checked: loopback, private, link-local,
multicast, reserved and unspecified ranges are refused (``blocked_address``) unless allowlisted
by host name or CIDR; the connection then goes to the checked address (Host header and TLS SNI
carry the name), so a second DNS answer cannot point it elsewhere. Bodies are streamed and
capped (``too_large``) under one deadline per attempt (``timeout``), which also closes a
connection whose response headers trickle in (slowloris). 429, 5xx and connection
errors are retried with exponential backoff, honouring ``Retry-After`` up to a cap.
``X-Robots-Tag: noai`` / ``noimageai`` is honoured (``robots_noai``), as img2dataset does.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import urllib3

from udfs.common.settings import ImagesSettings

REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUS = {429, 500, 502, 503, 504}
NOAI = {"noai", "noimageai"}


@dataclass(frozen=True)
class Fetched:
    """What came back for one URL: ``status`` is ``ok`` or a stable failure reason."""

    status: str
    body: bytes | None = None
    content_type: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    attempts: int = 0
    detail: str | None = None


class Refused(Exception):
    """The URL or an address it resolves to may not be fetched (``reason`` says why)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@lru_cache(maxsize=64)
def _allowed_networks(allowlist: tuple[str, ...]) -> tuple[tuple, frozenset]:
    networks, hosts = [], set()
    for item in allowlist:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower())
    return tuple(networks), frozenset(hosts)


def blocked(address: str) -> bool:
    """Is this address one weft never connects to by default?"""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def resolve(url: str, allowlist: tuple[str, ...]) -> tuple[str, str, int, str]:
    """(scheme, host, port, checked address) for ``url``, or Refused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("bad_url", str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("bad_scheme", f"scheme {scheme or '(none)'} is not fetched")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials_in_url", "URLs with user:password are not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("bad_url", "no host")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused("dns_error", f"{host}: {exc}") from None
    networks, hosts = _allowed_networks(allowlist)
    addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        ip = ipaddress.ip_address(address)
        allowed = host.lower() in hosts or any(ip in net for net in networks)
        if blocked(address) and not allowed:
            raise Refused("blocked_address", f"{host} resolves to {address}")
    return scheme, host, port, addresses[0]


def _retry_after(value: str | None, cap: float) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), cap)


class _HeaderDeadline:
    """A connection whose wait for the response status and headers ends after ``header_seconds``:
    a timer shuts the socket down, since a socket timeout alone restarts with every byte."""

    def __init__(self, *args, header_seconds: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_seconds = header_seconds

    def getresponse(self):
        self.expired = False
        timer = threading.Timer(self.header_seconds, self._expire)
        timer.daemon = True
        timer.start()
        try:
            response = super().getresponse()
        finally:
            timer.cancel()
        if self.expired:  # what was parsed before the shutdown is not the response
            response.close()
            raise socket.timeout(f"response headers not complete after {self.header_seconds} s")
        return response

    def _expire(self) -> None:
        self.expired = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass


class _HTTPConnection(_HeaderDeadline, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_HeaderDeadline, urllib3.connection.HTTPSConnection):
    pass


def _request(pool_cache: dict, url: str, images: ImagesSettings) -> tuple[urllib3.BaseHTTPResponse, float]:
    """One GET to the checked address of ``url`` (no redirects followed)."""
    scheme, host, port, address = resolve(url, tuple(images.allowlist))
    key = (scheme, host, port, address)
    pool = pool_cache.get(key)
    if pool is None:
        timeout = urllib3.Timeout(connect=images.timeout_seconds, read=images.timeout_seconds)
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1,
                                               server_hostname=host, assert_hostname=host,
                                               header_seconds=images.timeout_seconds)
            pool.ConnectionCls = _HTTPSConnection
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1,
                                              header_seconds=images.timeout_seconds)
            pool.ConnectionCls = _HTTPConnection
        pool_cache[key] = pool
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if scheme == "https" else 80
    headers = {"Host": host if port == default_port else f"{host}:{port}", "User-Agent": images.user_agent,
               "Accept": "image/*,*/*;q=0.5", "Accept-Encoding": "identity"}
    started = time.monotonic()
    response = pool.urlopen("GET", target, headers=headers, redirect=False, retries=False,
                            preload_content=False, assert_same_host=False)
    return response, started


def _read_capped(response, started: float, images: ImagesSettings) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > images.max_bytes:
        raise Refused("too_large", f"Content-Length {length} > {images.max_bytes}")
    chunks, size = [], 0
    while chunk := response.read1(64 * 1024):  # what has arrived, so the deadline is checked as it trickles
        size += len(chunk)
        if size > images.max_bytes:
            raise Refused("too_large", f"body over {images.max_bytes} bytes")
        if time.monotonic() - started > images.timeout_seconds:
            raise Refused("timeout", f"body not complete after {images.timeout_seconds} s")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, images: ImagesSettings, pools: dict | None = None) -> Fetched:
    """GET ``url`` under ``images`` (ImagesSettings); a status for every outcome."""
    pools = {} if pools is None else pools
    attempts = 0
    current = url
    redirects = 0
    while True:
        attempts += 1
        response = None
        complete = False  # body read to the end: the connection can be reused
        begun = time.monotonic()
        try:
            response, started = _request(pools, current, images)
            status = response.status
            if status in REDIRECTS:
                location = response.headers.get("Location")
                redirects += 1
                if not location:
                    return Fetched("bad_redirect", final_url=current, http_status=status, attempts=attempts,
                                   detail="redirect without Location")
                if redirects > images.max_redirects:
                    return Fetched("too_many_redirects", final_url=current, http_status=status, attempts=attempts,
                                   detail=f"more than {images.max_redirects} redirects")
                current = urljoin(current, location)
                continue
            if status in RETRY_STATUS and attempts <= images.retries:
                wait = _retry_after(response.headers.get("Retry-After"), images.max_retry_after_seconds)
                time.sleep(wait if wait is not None else images.backoff_seconds * 2 ** (attempts - 1))
                continue
            if status != 200:
                return Fetched(f"http_{status}", final_url=current, http_status=status, attempts=attempts)
            tags = {t.strip().lower() for value in response.headers.getlist("X-Robots-Tag")
                    for t in value.replace(";", ",").split(",")}
            if tags & NOAI and images.respect_noai:
                return Fetched("robots_noai", final_url=current, http_status=status, attempts=attempts,
                               detail=f"X-Robots-Tag: {', '.join(sorted(tags & NOAI))}")
            body = _read_capped(response, started, images)
            complete = True
            return Fetched("ok", body=body, content_type=response.headers.get("Content-Type"), final_url=current,
                           http_status=status, attempts=attempts)
        except Refused as exc:
            return Fetched(exc.reason, final_url=current, attempts=attempts, detail=str(exc))
        except (urllib3.exceptions.TimeoutError, socket.timeout) as exc:
            outcome = Fetched("timeout", final_url=current, attempts=attempts, detail=str(exc)[:300])
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            late = time.monotonic() - begun >= images.timeout_seconds  # the header deadline closed it
            outcome = Fetched("timeout" if late else "connection_error", final_url=current, attempts=attempts,
                              detail=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if response is not None and complete:
                response.release_conn()
            elif response is not None:
                response.close()  # unread or capped body: never hand this connection out again
        if outcome.status == "timeout" or attempts > images.retries:
            return outcome
        time.sleep(images.backoff_seconds * 2 ** (attempts - 1))
