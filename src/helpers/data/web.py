"""HTTP with limits: every response body has a size cap (counted after
decompression, so a small gzip that inflates to gigabytes is stopped at the
cap with bounded memory) and every request a total deadline (so a server
that trickles a byte every few seconds is cut off); transient failures are
retried with back-off, honouring ``Retry-After`` on 429 and 503; requests to
one host can be spaced (GOV.UK asks for at most 10 a second).

Every error is a :class:`FetchError` naming the URL and saying what to do.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import os
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlparse

import requests
import urllib3

from ..errors import FetchError

#: Largest publication file a download may hold (decompressed), in bytes.
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
#: Largest JSON answer from a publisher's API, in bytes.
MAX_JSON_BYTES = 20 * 1024 * 1024
#: Seconds one download (or API call) may take from first byte asked to last.
DEADLINE_SECONDS = 600.0
#: Seconds to wait for a connection, and between bytes, before giving up.
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0
#: First wait between retries, in seconds; doubles on every retry.
BACKOFF_SECONDS = 1.0
#: Longest wait a Retry-After header may impose before we give up instead.
MAX_RETRY_AFTER = 120.0
USER_AGENT = "scrutiny-packs (children's services scrutiny packs; +https://www.gov.uk/government/statistics)"
_CHUNK = 64 * 1024

_OFFLINE_TEXT = ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
                 "Failed to resolve", "nodename nor servname", "Network is unreachable", "NameResolutionError",
                 "getaddrinfo failed", "No route to host")


class _Retryable(Exception):
    """A failure worth another try: 5xx, 429, a dropped or broken body."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class Limits:
    """Caps for one client; the environment variables SCRUTINY_FETCH_MAX_BYTES
    and SCRUTINY_FETCH_DEADLINE override the defaults (a slow proxy, a test)."""

    max_bytes: int = field(default_factory=lambda: int(_env_float("SCRUTINY_FETCH_MAX_BYTES", MAX_DOWNLOAD_BYTES)))
    max_json_bytes: int = MAX_JSON_BYTES
    deadline: float = field(default_factory=lambda: _env_float("SCRUTINY_FETCH_DEADLINE", DEADLINE_SECONDS))
    retries: int = 3
    backoff: float | None = None   # None: the module's BACKOFF_SECONDS at the time of the call


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def is_offline_error(exc: BaseException) -> bool:
    """True for connection refused, DNS failure or an unreachable network."""
    seen: set[int] = set()
    todo: list = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ConnectionRefusedError) or any(s in str(e) for s in _OFFLINE_TEXT):
            return True
        todo.extend([e.__cause__, e.__context__, getattr(e, "reason", None),
                     *[a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]])
    return False


class Client:
    """One HTTP session with limits. ``spacing`` maps a host to the least
    number of seconds between two requests to it."""

    def __init__(self, limits: Limits | None = None, spacing: dict[str, float] | None = None):
        self.limits = limits or Limits()
        self.spacing = dict(spacing or {})
        self._last: dict[str, float] = {}
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.requests_made = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ public
    def get_json(self, url: str, *, params: dict | None = None, what: str = "") -> object:
        """The JSON at ``url``; a FetchError naming the URL when the answer is
        not JSON, too large, or an HTTP error. 404 raises :class:`NotFound`."""
        body = bytearray()
        self._with_retries(url, params, lambda chunk: body.extend(chunk), self.limits.max_json_bytes,
                           accept="application/json", reset=body.clear)
        try:
            return json.loads(bytes(body).decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            start = bytes(body[:80]).decode("utf-8", "replace").strip()
            raise FetchError(f"{_shown(url, params)}: expected JSON{' (' + what + ')' if what else ''}, "
                             f"got {start!r}... The service may have changed or be down; try again later, "
                             f"or download the file by hand and use `scrutiny ingest`") from None

    def download(self, url: str, dest, *, params: dict | None = None) -> "Download":
        """Stream ``url`` into the file ``dest`` (truncated first); returns
        its size, SHA-256 and the name the server gave it."""
        h = hashlib.sha256()
        info: dict = {}
        with open(dest, "wb") as fh:
            def write(chunk: bytes) -> None:
                fh.write(chunk)
                h.update(chunk)

            def reset() -> None:
                nonlocal h
                fh.seek(0)
                fh.truncate()
                h = hashlib.sha256()

            size = self._with_retries(url, params, write, self.limits.max_bytes, reset=reset, info=info)
            fh.flush()
            os.fsync(fh.fileno())
        return Download(url=url, size=size, sha256=h.hexdigest(), filename=info.get("filename", ""))

    # ----------------------------------------------------------- private
    def _with_retries(self, url, params, sink, cap, *, accept: str = "*/*", reset=None, info=None) -> int:
        attempt = 0
        while True:
            try:
                return self._once(url, params, sink, cap, accept, info)
            except _Retryable as exc:
                if attempt >= self.limits.retries:
                    raise FetchError(f"{_shown(url, params)}: gave up after {attempt + 1} attempts ({exc}). "
                                     "The service may be down: try again later") from None
                backoff = BACKOFF_SECONDS if self.limits.backoff is None else self.limits.backoff
                wait = exc.wait if exc.wait is not None else backoff * (2 ** attempt)
                if wait > MAX_RETRY_AFTER:
                    raise FetchError(f"{_shown(url, params)}: the server asks us to wait {wait:.0f} s "
                                     f"({exc}); try again later") from None
                time.sleep(wait)
                attempt += 1
                if reset is not None:
                    reset()
            except requests.exceptions.RequestException as exc:
                if is_offline_error(exc):
                    raise FetchError(f"{_shown(url, params)}: cannot connect to {urlparse(url).netloc}. This "
                                     "machine appears to be offline, or the address is wrong (check the "
                                     "service URLs in data/sources.yml and the SCRUTINY_*_URL variables); "
                                     "meanwhile add files by hand with `scrutiny ingest`") from None
                raise FetchError(f"{_shown(url, params)}: {type(exc).__name__}: {exc}") from None

    def _pace(self, url: str) -> None:
        host = urlparse(url).netloc
        gap = self.spacing.get(host, 0.0)
        if gap:
            wait = self._last.get(host, 0.0) + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last[host] = time.monotonic()

    def _once(self, url, params, sink, cap, accept, info) -> int:
        self._pace(url)
        self.requests_made += 1
        deadline = self.limits.deadline
        started = time.monotonic()
        timed_out = threading.Event()
        try:
            resp = self.session.get(url, params=params, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                    headers={"Accept": accept, "Accept-Encoding": "gzip, deflate"})
        except requests.exceptions.Timeout as exc:
            raise _Retryable(f"no answer ({exc.__class__.__name__})") from None
        except requests.exceptions.ConnectionError as exc:
            if is_offline_error(exc):
                raise
            raise _Retryable(f"connection failed ({exc})") from None

        def expire():
            timed_out.set()
            _shut(resp)   # unblocks a read that is waiting on a trickle

        timer = threading.Timer(max(0.0, deadline - (time.monotonic() - started)), expire)
        timer.daemon = True
        timer.start()
        try:
            _check_status(resp, url, params)
            if info is not None:
                info["filename"] = _disposition_filename(resp.headers.get("Content-Disposition", ""))
            size = _read_body(resp, sink, cap, url, params)
            if timed_out.is_set():
                raise _Retryable("stopped")
            return size
        except (_Retryable, requests.exceptions.RequestException, OSError, AttributeError, ValueError,
                http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
            if timed_out.is_set():
                raise FetchError(f"{_shown(url, params)}: took longer than {deadline:.0f} s and was stopped "
                                 f"(the server is too slow). Try again later, or set SCRUTINY_FETCH_DEADLINE "
                                 f"to allow longer") from None
            if isinstance(exc, _Retryable):
                raise
            raise _Retryable(f"the download broke off ({type(exc).__name__})") from None
        finally:
            timer.cancel()
            resp.close()


def _shut(resp) -> None:
    """Shut the response's socket down so a blocked read returns at once."""
    try:
        sock = socket.socket(fileno=resp.raw.fileno())   # the same socket, not a copy
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        resp.close()
    except Exception:  # noqa: BLE001 - closing from the timer thread must never raise
        pass


@dataclass
class Download:
    url: str
    size: int
    sha256: str
    filename: str = ""


class NotFound(FetchError):
    """HTTP 404 from a publisher's service."""


def _shown(url: str, params: dict | None) -> str:
    if not params:
        return url
    return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def _check_status(resp, url, params) -> None:
    code = resp.status_code
    if code in (429, 503) or code >= 500:
        raise _Retryable(f"HTTP {code} {resp.reason}", wait=_retry_after(resp.headers.get("Retry-After")))
    if code == 404:
        raise NotFound(f"{_shown(url, params)}: HTTP 404 Not Found. The publisher may have moved or renamed "
                       "it: check the service settings in data/sources.yml")
    if code >= 400:
        raise FetchError(f"{_shown(url, params)}: HTTP {code} {resp.reason}. Check the address in "
                         "data/sources.yml (or the SCRUTINY_*_URL variables)")


def _read_body(resp, sink, cap: int, url: str, params) -> int:
    """Feed the body to ``sink`` chunk by chunk, decompressing gzip or
    deflate ourselves with a bounded output per step; returns the bytes
    written. Raises FetchError past ``cap`` and _Retryable when the body is
    shorter than its Content-Length."""
    encoding = (resp.headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise FetchError(f"{_shown(url, params)}: the server sent an encoding this tool cannot read "
                         f"({encoding!r})")
    length = resp.headers.get("Content-Length")
    expected = int(length) if length and length.isdigit() else None
    if inflater is None and expected is not None and expected > cap:
        raise _too_big(url, params, cap, f"announced {expected:,} bytes")
    raw_got = out = 0
    for chunk in resp.raw.stream(_CHUNK, decode_content=False):
        raw_got += len(chunk)
        pieces = [chunk] if inflater is None else _inflate(inflater, chunk)
        for piece in pieces:
            out += len(piece)
            if out > cap:
                raise _too_big(url, params, cap, "decompressed" if inflater else "received")
            sink(piece)
    if inflater is not None:
        tail = inflater.flush()
        out += len(tail)
        if out > cap:
            raise _too_big(url, params, cap, "decompressed")
        sink(tail)
    if expected is not None and raw_got < expected:
        raise _Retryable(f"incomplete body: {raw_got:,} of {expected:,} bytes")
    return out


def _inflate(inflater, chunk: bytes, step: int = 1 << 20):
    """Decompress one chunk in pieces of at most ``step`` bytes."""
    data = chunk
    while data:
        piece = inflater.decompress(data, step)
        yield piece
        data = inflater.unconsumed_tail


def _too_big(url, params, cap: int, how: str) -> FetchError:
    return FetchError(f"{_shown(url, params)}: refused, larger than {cap / 1e6:,.0f} MB ({how}); no official "
                      "release is that large. Check the address, or set SCRUTINY_FETCH_MAX_BYTES if it is "
                      "really needed")


def _disposition_filename(header: str) -> str:
    """The file name in a Content-Disposition header, without any folder."""
    if not header:
        return ""
    from email.message import Message
    msg = Message()
    msg["content-disposition"] = header
    name = msg.get_filename() or ""
    return os.path.basename(name.replace("\\", "/"))
