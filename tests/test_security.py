"""Credentials never appear in logs, reprs or exception texts; unsafe URLs are refused."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import msgspec
import pytest
from hostile_servers import FILE_HOST, Hostile, hostile_server, resolving_session

from mubert_async import (
    AuthenticationError,
    ClientClosedError,
    Generation,
    InvalidRequestError,
    LinkExpiredError,
    MubertClient,
    MubertError,
    MubertServiceClient,
    PermissionDeniedError,
    RequestTimeout,
    Track,
    TransportError,
)
from mubert_async._config import Credentials
from mubert_async.errors import scrub_error
from mubert_async.models import Customer
from mubert_async.models._decoding import ResponseDecoder
from mubert_async.transport import AiohttpTransport, MockTransport, Request, Response
from mubert_async.transport._httpx import HttpxTransport

CUSTOMER_ID = "cid-7f3a9e51c0d2"
ACCESS_TOKEN = "tok-SECRET-5b1e0c7d9a"
COMPANY_ID = "comp-0d9c8b7a6f"
LICENSE_TOKEN = "lic-SECRET-e4d3c2b1a0"
SECRETS = (CUSTOMER_ID, ACCESS_TOKEN, COMPANY_ID, LICENSE_TOKEN)
CREDENTIAL_HEADERS = {"customer-id", "access-token", "company-id", "license-token"}


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def _echoing_handler(request: Request) -> Response:
    """A hostile server: echoes every header back inside its error bodies."""
    echoed = {
        "message": f"denied for {dict(request.headers)}",
        "code": "Forbidden",
        "description": str(dict(request.headers)),
    }
    path = request.url
    if path.endswith("/boom"):
        raise TransportError(f"{request.method} {request.url} failed")
    status = 500 if "tracks" in path else 403
    return Response(status, {}, msgspec.json.encode(echoed))


async def test_no_credential_in_debug_logs_reprs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="mubert_async")
    transport = MockTransport(_echoing_handler)
    client = MubertClient(CUSTOMER_ID, ACCESS_TOKEN, transport=transport, max_retries=1)
    service = MubertServiceClient(COMPANY_ID, LICENSE_TOKEN, transport=transport, max_retries=1)
    client_retry_sleep_free = client.with_options(max_retries=0)
    texts = [repr(client), str(client), repr(service), repr(client_retry_sleep_free)]
    errors: list[MubertError] = []
    for call in (
        lambda: client_retry_sleep_free.tracks.get("t1"),
        lambda: client.playlists.list(),
        lambda: service.customers.get("c1"),
        lambda: service.licenses.list(),
    ):
        with pytest.raises(MubertError) as info:
            await call()
        errors.append(info.value)
    for error in errors:
        texts += [
            str(error),
            repr(error),
            repr(error.args),
            repr(getattr(error, "body", None)),
            repr(getattr(error, "description", None)),
            repr(getattr(error, "message", None)),
        ]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert any("request GET" in record.getMessage() for record in caplog.records)
    assert any("[REDACTED]" in record.getMessage() for record in caplog.records)
    for text in texts:
        _assert_clean(text)


def test_customer_access_token_is_not_in_repr() -> None:
    customer = msgspec.json.decode(
        msgspec.json.encode(
            {"id": "c", "access": {"token": ACCESS_TOKEN, "customer_id": CUSTOMER_ID}}
        ),
        type=Customer,
    )
    _assert_clean(repr(customer).replace(CUSTOMER_ID, ""))
    assert ACCESS_TOKEN not in str(customer)
    assert ACCESS_TOKEN not in repr(list(customer.access.__rich_repr__()))  # type: ignore[union-attr]
    assert customer.access is not None and customer.access.token == ACCESS_TOKEN


def test_credentials_repr() -> None:
    credentials = Credentials("customer-id", CUSTOMER_ID, "access-token", ACCESS_TOKEN)
    _assert_clean(repr(credentials))


def test_missing_credentials_name_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MUBERT_CUSTOMER_ID",
        "MUBERT_ACCESS_TOKEN",
        "MUBERT_COMPANY_ID",
        "MUBERT_LICENSE_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AuthenticationError, match="MUBERT_CUSTOMER_ID and MUBERT_ACCESS_TOKEN"):
        MubertClient()
    with pytest.raises(AuthenticationError, match="MUBERT_LICENSE_TOKEN"):
        MubertServiceClient("company")
    monkeypatch.setenv("MUBERT_CUSTOMER_ID", CUSTOMER_ID)
    with pytest.raises(AuthenticationError) as info:
        MubertClient(access_token="")
    _assert_clean(str(info.value))


@pytest.mark.parametrize(
    "url",
    [
        "http://music-api.mubert.com/api/v3",
        "http://10.0.0.5:8080/api/v3",
        "http://192.168.1.2/api/v3",
        "http://example.com",
        "ftp://127.0.0.1/api/v3",
        "https://user:pass@music-api.mubert.com/api/v3",
        "https:///api/v3",
        "music-api.mubert.com/api/v3",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        MubertClient("c", "t", base_url=url, transport=MockTransport(_echoing_handler))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v3",
        "http://127.9.9.9/api/v3",
        "http://[::1]:9/api/v3",
        "http://localhost:1234/api/v3",
        "https://music-api.mubert.com/api/v3/",
    ],
)
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    client = MubertClient("c", "t", base_url=url, transport=MockTransport(_echoing_handler))
    assert client.base_url == url.rstrip("/")


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUBERT_BASE_URL", "http://127.0.0.1:9/api/v3")
    assert (
        MubertClient("c", "t", transport=MockTransport(_echoing_handler)).base_url
        == "http://127.0.0.1:9/api/v3"
    )
    monkeypatch.setenv("MUBERT_BASE_URL", "http://evil.example/api/v3")
    with pytest.raises(InvalidRequestError):
        MubertClient("c", "t", transport=MockTransport(_echoing_handler))


@pytest.mark.parametrize("bad", ["tok\r\nx-evil: 1", "tok\nx", "tok\x00"])
def test_header_injection_through_credentials_is_refused(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        MubertClient("c", bad, transport=MockTransport(_echoing_handler))
    assert bad not in str(info.value)


async def test_requests_never_follow_redirects() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(302, {"location": "https://evil.example/steal"}, b"")

    client = MubertClient(CUSTOMER_ID, ACCESS_TOKEN, transport=MockTransport(handler))
    with pytest.raises(MubertError):
        await client.playlists.list()
    assert len(seen) == 1 and seen[0].follow_redirects is False


@pytest.mark.parametrize(
    "bad_id",
    ["", "..", ".", "a/b", "../customers", "a\\b", "a?b=1", "a#x", "%2e%2e", "a b", "a\x00", "a\n"],
)
async def test_path_injection_is_refused_before_sending(bad_id: str) -> None:
    seen: list[Request] = []
    transport = MockTransport(lambda r: seen.append(r) or Response(200, {}, b"{}"))  # type: ignore[func-returns-value]
    client = MubertClient("c", "t", transport=transport)
    service = MubertServiceClient("c", "t", transport=transport)
    for call in (
        lambda: client.tracks.get(bad_id),
        lambda: client.tracks.get_by_session(bad_id),
        lambda: client.tracks.similar(bad_id, duration=30),
        lambda: client.tracks.edit(bad_id, duration=30),
        lambda: service.customers.get(bad_id),
        lambda: service.customers.update(bad_id, custom_id="x"),
        lambda: service.customers.delete(bad_id),
        lambda: service.customers.get_by_custom_id(bad_id),
        lambda: service.licenses.get(bad_id),
        lambda: service.licenses.update(bad_id, webhook_enabled=True),
    ):
        with pytest.raises(InvalidRequestError):
            await call()
    assert seen == []


# -- hostile servers on 127.0.0.1: the table of cases (issue 9) --------------------------
#
# Each case is one attack, run against ``hostile_servers`` (a real aiohttp app and a raw
# socket server on loopback). ``HOSTILE`` lists them all; ``test_hostile`` runs each
# under its own test id, and ``test_hostile_case_count`` prints how many there are.


@dataclass
class Env:
    """What a case gets: the hostile server, a temporary directory, clients to use."""

    server: Hostile
    tmp: Path
    stack: contextlib.AsyncExitStack
    caplog: pytest.LogCaptureFixture
    kind: str  # the transport the case runs on: "aiohttp" or "httpx"

    async def client(self, *, resolving: bool = False, **kw: Any) -> MubertClient:
        """A client on a real transport (``resolving``: aiohttp, every name is 127.0.0.1)."""
        if resolving:
            session = resolving_session()
            self.stack.push_async_callback(session.close)
            kw.setdefault("transport", AiohttpTransport(session))
        elif self.kind == "httpx" and "transport" not in kw:
            transport = HttpxTransport()
            self.stack.push_async_callback(transport.aclose)
            kw["transport"] = transport
        kw.setdefault("base_url", self.server.url + "/api/v3")
        client = MubertClient(CUSTOMER_ID, ACCESS_TOKEN, max_retries=0, **kw)
        self.stack.push_async_callback(client.aclose)
        return client

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"

    def files(self) -> list[str]:
        return sorted(p.name for p in self.tmp.iterdir())


Case = Callable[[Env], Awaitable[None]]
HOSTILE: list[Any] = []


def hostile(point: int, name: str, *, both: bool = False) -> Callable[[Case], Case]:
    """Register a case of issue 9's point ``point`` (``both``: on aiohttp and on httpx)."""

    def register(case: Case) -> Case:
        HOSTILE.append(pytest.param(case, "aiohttp", id=f"p{point}-{name}"))
        if both:
            HOSTILE.append(pytest.param(case, "httpx", id=f"p{point}-{name}-httpx"))
        return case

    return register


def track_at(
    url: str,
    *,
    track_id: str = "t1",
    duration: int | None = 5,
    fmt: str = "mp3",
    bitrate: int = 128,
    expired_at: datetime | None = None,
) -> Track:
    """A done track whose one generation's file is at ``url``."""
    expires = expired_at or datetime.now(timezone.utc) + timedelta(hours=1)
    generation = Generation(status="done", format=fmt, bitrate=bitrate, url=url, expired_at=expires)
    return Track(id=track_id, duration=duration, generations=(generation,))


def chain(error: BaseException) -> list[BaseException]:
    """``error`` and every exception reachable through ``__cause__``/``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen


def assert_error_clean(error: BaseException) -> None:
    """No credential in the error, its fields, its headers, or anything chained to it."""
    for link in chain(error):
        texts = [str(link), repr(link), repr(link.args)]
        texts += [repr(getattr(link, attr, None)) for attr in ("body", "headers", "description")]
        for text in texts:
            _assert_clean(text)


# 1. downloads are bounded in time and size, and audio is never decompressed


@hostile(1, "slow-drip-whole-download-timeout", both=True)
async def _drip(env: Env) -> None:
    client = await env.client()
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        await client.tracks.download(track_at(env.url("/drip")), env.tmp, timeout=0.5)
    assert time.monotonic() - started < 3
    assert env.files() == []


@hostile(1, "stall-between-chunks", both=True)
async def _stall(env: Env) -> None:
    client = await env.client()
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        await client.tracks.download(track_at(env.url("/stall")), env.tmp, stall_timeout=0.3)
    assert time.monotonic() - started < 3
    assert env.files() == []


@hostile(1, "endless-chunked-default-cap", both=True)
async def _endless(env: Env) -> None:
    client = await env.client()
    with anyio.fail_after(5), pytest.raises(TransportError, match="max_bytes"):
        await client.tracks.download(track_at(env.url("/endless")), env.tmp)
    assert env.files() == []


@hostile(1, "endless-chunked-explicit-cap", both=True)
async def _endless_cap(env: Env) -> None:
    client = await env.client()
    with anyio.fail_after(5), pytest.raises(TransportError, match="100000"):
        await client.tracks.download(track_at(env.url("/endless")), env.tmp, max_bytes=100_000)
    assert env.files() == []


@hostile(1, "content-length-over-cap-refused-unread", both=True)
async def _announced(env: Env) -> None:
    client = await env.client()
    with pytest.raises(TransportError, match="content-length"):
        await client.tracks.download(track_at(env.url("/ok/200000")), env.tmp, max_bytes=1000)
    assert env.files() == []


@hostile(1, "gzip-bomb-never-inflated", both=True)
async def _bomb(env: Env) -> None:
    client = await env.client()
    with anyio.fail_after(5), pytest.raises(TransportError, match="content-encoding"):
        await client.tracks.download(track_at(env.url("/bomb")), env.tmp)
    assert env.files() == []


@hostile(1, "asks-for-identity-encoding", both=True)
async def _identity(env: Env) -> None:
    client = await env.client()
    path = await client.tracks.download(track_at(env.url("/ok/100")), env.tmp)
    assert path.stat().st_size == 100
    assert env.server.headers[-1]["accept-encoding"] == "identity"


# 2. https only (http only to loopback), on every hop; redirects bounded


@hostile(2, "plain-http-to-outside-name-refused-unsent")
async def _plain_http(env: Env) -> None:
    client = await env.client(resolving=True)
    track = track_at(env.url("/ok/100", host=FILE_HOST))
    with pytest.raises(InvalidRequestError, match="https"):
        await client.tracks.download(track, env.tmp)
    assert env.server.total_hits == 0


@hostile(2, "plain-http-to-localhost-lookalike-refused")
async def _lookalike(env: Env) -> None:
    client = await env.client(resolving=True)
    track = track_at(env.url("/ok/100", host="localhost.example.test"))
    with pytest.raises(InvalidRequestError, match="https"):
        await client.tracks.download(track, env.tmp)
    assert env.server.total_hits == 0


@hostile(2, "redirect-to-plain-http-refused")
async def _redirect_http(env: Env) -> None:
    client = await env.client(resolving=True)
    target = env.url("/ok/100", host=FILE_HOST)
    track = track_at(env.url(f"/redirect-to?url={quote(target, safe='')}"))
    with pytest.raises(TransportError, match="https"):
        await client.tracks.download(track, env.tmp)
    assert env.server.hits["/ok/100"] == 0
    assert env.files() == []


@hostile(2, "redirect-to-ftp-refused", both=True)
async def _redirect_ftp(env: Env) -> None:
    client = await env.client()
    track = track_at(env.url("/redirect-to?url=ftp%3A%2F%2F127.0.0.1%2Fx.mp3"))
    with pytest.raises(TransportError, match="https"):
        await client.tracks.download(track, env.tmp)


@hostile(2, "redirect-chain-over-limit-refused", both=True)
async def _redirect_long(env: Env) -> None:
    client = await env.client()
    with pytest.raises(TransportError, match="redirect"):
        await client.tracks.download(track_at(env.url("/redirect/6")), env.tmp)
    assert env.server.hits["/ok/100"] == 0
    assert env.files() == []


@hostile(2, "redirect-chain-within-limit-followed", both=True)
async def _redirect_ok(env: Env) -> None:
    client = await env.client()
    path = await client.tracks.download(track_at(env.url("/redirect/5")), env.tmp)
    assert path.read_bytes() == b"A" * 100


@hostile(2, "redirect-body-left-unread", both=True)
async def _redirect_body(env: Env) -> None:
    client = await env.client()
    with anyio.fail_after(5):
        path = await client.tracks.download(track_at(env.url("/redirect-endless")), env.tmp)
    assert path.read_bytes() == b"A" * 100


@hostile(2, "download-sends-no-credentials", both=True)
async def _no_credentials(env: Env) -> None:
    client = await env.client()
    await client.tracks.download(track_at(env.url("/redirect/2")), env.tmp)
    assert len(env.server.headers) == 3
    for headers in env.server.headers:
        assert not CREDENTIAL_HEADERS & set(headers)
        _assert_clean(repr(headers))


# 3. no credential in any error: text, body, headers, chained exceptions, logs


@hostile(3, "file-host-echo-scrubbed", both=True)
async def _file_echo(env: Env) -> None:
    client = await env.client()
    with pytest.raises(PermissionDeniedError) as info:
        await client.tracks.download(track_at(env.url("/echo-error")), env.tmp)
    assert_error_clean(info.value)
    assert "[REDACTED]" in str(info.value)


@hostile(3, "api-echo-headers-scrubbed")
async def _api_echo(env: Env) -> None:
    client = await env.client()
    with pytest.raises(PermissionDeniedError) as info:
        await client.playlists.list()
    assert_error_clean(info.value)
    assert info.value.headers["x-echo-token"] == "[REDACTED]"


@hostile(3, "malformed-api-answer-chain-scrubbed")
async def _malformed_api(env: Env) -> None:
    client = await env.client(base_url=env.server.raw_url + "/api/v3")
    with pytest.raises(TransportError) as info:
        await client.playlists.list()
    assert_error_clean(info.value)


@hostile(3, "malformed-file-host-answer-chain-scrubbed", both=True)
async def _malformed_file(env: Env) -> None:
    client = await env.client()
    with pytest.raises(TransportError) as info:
        await client.tracks.download(track_at(env.server.raw_url + "/x.mp3"), env.tmp)
    assert_error_clean(info.value)


@hostile(3, "debug-logs-scrubbed")
async def _logs(env: Env) -> None:
    env.caplog.set_level(logging.DEBUG, logger="mubert_async")
    client = await env.client()
    with pytest.raises(PermissionDeniedError):
        await client.playlists.list()
    with pytest.raises(TransportError):
        await (await env.client(base_url=env.server.raw_url)).playlists.list()
    assert env.caplog.records
    for record in env.caplog.records:
        _assert_clean(record.getMessage())


# 4. credentials: visible ASCII only, refused at construction without being quoted


for _n, _bad in enumerate(
    ["tok-SECRET\x0b1", "tok-SECRET\t1", "tok SECRET", "tök-SECRET", "tok-SECRET\u200b", "tok\x7f"]
):

    @hostile(4, f"credential-{_n}-{_bad.encode('unicode_escape').decode()}")
    async def _credential(env: Env, bad: str = _bad) -> None:
        for make in (
            lambda: MubertClient(bad, ACCESS_TOKEN, transport=MockTransport(_echoing_handler)),
            lambda: MubertClient(CUSTOMER_ID, bad, transport=MockTransport(_echoing_handler)),
            lambda: MubertServiceClient(COMPANY_ID, bad, transport=MockTransport(_echoing_handler)),
        ):
            with pytest.raises(InvalidRequestError, match="visible ASCII") as info:
                make()
            assert bad not in str(info.value) and bad not in repr(info.value.args)


# 5. ids and file names stay under the file system's limit


@hostile(5, "id-too-long-for-a-file-name-refused-unsent")
async def _long_id(env: Env) -> None:
    client = await env.client()
    for length in (252, 255):  # "<id>.mp3" would pass 255 bytes
        with pytest.raises(InvalidRequestError, match="too long"):
            await client.tracks.download("a" * length, env.tmp)
        track = track_at(env.url("/ok/100"), track_id="b" * length)
        with pytest.raises(InvalidRequestError, match="too long"):
            await client.tracks.download(track, env.tmp)
    multibyte = track_at(env.url("/ok/100"), track_id="é" * 126)  # 252 bytes in UTF-8
    with pytest.raises(InvalidRequestError, match="too long"):
        await client.tracks.download(multibyte, env.tmp)
    assert env.server.total_hits == 0


@hostile(5, "ids-237-to-251-download")
async def _mid_ids(env: Env) -> None:
    client = await env.client()
    for length in (237, 244, 251):  # the temporary name no longer grows past the limit
        track = track_at(env.url("/ok/100"), track_id="i" * length)
        path = await client.tracks.download(track, env.tmp)
        assert path.name == "i" * length + ".mp3" and path.stat().st_size == 100


@hostile(5, "longest-file-name-downloads")
async def _long_name(env: Env) -> None:
    client = await env.client()
    track = track_at(env.url("/ok/100"), track_id="c" * 251)
    path = await client.tracks.download(track, env.tmp)  # 251 + ".mp3" = 255 bytes
    assert path.name == "c" * 251 + ".mp3" and path.stat().st_size == 100
    dest = env.tmp / ("d" * 255)
    assert (await client.tracks.download(track, dest)) == dest
    assert not [name for name in env.files() if name.endswith(".part")]


# 6. odd configuration is refused with InvalidRequestError


for _url in (
    "http://127.0.0.1:99999/api/v3",
    "http://127.0.0.1:abc/api/v3",
    "http://127.0.0.1:-1/api/v3",
    "http://127.0.0.1:8080/api/v3\r\nx-evil: 1",
    "http://127.0.0.1:8080/api\n/v3",
    "http://127.0.0.1:8080/api v3",
    "http://127.0.0.1:8080/api\tv3",
):

    @hostile(6, f"base-url-{_url.encode('unicode_escape').decode()[17:]}")
    async def _base_url(env: Env, url: str = _url) -> None:
        with pytest.raises(InvalidRequestError, match="base_url"):
            MubertClient("cid-1234567", "tok-1234567", base_url=url)


@hostile(6, "timeout-infinite-refused")
async def _timeout_inf(env: Env) -> None:
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(InvalidRequestError, match="timeout"):
            MubertClient("cid-1234567", "tok-1234567", timeout=bad)
        client = MubertClient("cid-1234567", "tok-1234567")
        with pytest.raises(InvalidRequestError, match="timeout"):
            client.with_options(timeout=bad)


@hostile(6, "download-bounds-checked")
async def _download_args(env: Env) -> None:
    client = await env.client()
    track = track_at(env.url("/ok/100"))
    for kw in (
        {"timeout": math.inf},
        {"timeout": 0},
        {"timeout": True},
        {"stall_timeout": math.inf},
        {"stall_timeout": -1},
        {"max_bytes": 0},
        {"max_bytes": 1.5},
    ):
        with pytest.raises(InvalidRequestError, match=next(iter(kw))):
            await client.tracks.download(track, env.tmp, **kw)
    assert env.server.total_hits == 0


@hostile(6, "webhook-url-line-breaks-refused-unsent")
async def _webhook(env: Env) -> None:
    seen: list[Request] = []
    transport = MockTransport(lambda r: seen.append(r) or Response(200, {}, b"{}"))  # type: ignore[func-returns-value]
    service = MubertServiceClient(COMPANY_ID, LICENSE_TOKEN, transport=transport)
    for url in ("https://hook.example/\r\nx: 1", "https://hook.example/a\nb", "https://a b/"):
        with pytest.raises(InvalidRequestError, match="webhook_url"):
            await service.licenses.update("lic-1", webhook_url=url)
    assert seen == []


# 7. a copy never owns (and so never closes) the original's transport


@hostile(7, "copy-close-leaves-original-open")
async def _copy(env: Env) -> None:
    client = await env.client()  # it made its transport: it owns it
    for duplicate in (copy.copy(client), copy.deepcopy(client)):
        assert duplicate.transport is client.transport
        await duplicate.aclose()
        with pytest.raises(PermissionDeniedError):  # the hostile API answers: still open
            await client.playlists.list()
        with pytest.raises(ClientClosedError):  # the copy itself is closed (issue 8)
            await duplicate.playlists.list()
    await client.aclose()
    with pytest.raises(TransportError, match="closed"):
        await client.playlists.list()


# 8. expiry: judged with slack, the file host has the last word


@hostile(8, "client-clock-ahead-still-downloads")
async def _clock_ahead(env: Env) -> None:
    client = await env.client()
    past = datetime.now(timezone.utc) - timedelta(minutes=30)
    path = await client.tracks.download(track_at(env.url("/ok/100"), expired_at=past), env.tmp)
    assert path.stat().st_size == 100


@hostile(8, "long-expired-refused-unsent")
async def _long_expired(env: Env) -> None:
    client = await env.client()
    past = datetime.now(timezone.utc) - timedelta(days=3)
    with pytest.raises(LinkExpiredError):
        await client.tracks.download(track_at(env.url("/ok/100"), expired_at=past), env.tmp)
    assert env.server.total_hits == 0


@hostile(8, "file-host-says-expired-s3", both=True)
async def _host_s3(env: Env) -> None:
    client = await env.client()
    with pytest.raises(LinkExpiredError):
        await client.tracks.download(track_at(env.url("/expired-s3")), env.tmp)


@hostile(8, "file-host-says-gone", both=True)
async def _host_gone(env: Env) -> None:
    client = await env.client()
    with pytest.raises(LinkExpiredError):
        await client.tracks.download(track_at(env.url("/gone")), env.tmp)


@hostile(8, "file-host-denies-past-expiry")
async def _host_denies(env: Env) -> None:
    client = await env.client()
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    with pytest.raises(LinkExpiredError):
        await client.tracks.download(track_at(env.url("/denied"), expired_at=past), env.tmp)
    fresh = track_at(env.url("/denied"))
    with pytest.raises(PermissionDeniedError):  # not expired by any clock: a plain denial
        await client.tracks.download(fresh, env.tmp)


@pytest.mark.parametrize(("case", "kind"), HOSTILE)
async def test_hostile(
    case: Case, kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with hostile_server() as server, contextlib.AsyncExitStack() as stack:
        await case(Env(server, tmp_path, stack, caplog, kind))


def test_hostile_case_count(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nhostile cases (tests/test_security.py::test_hostile): {len(HOSTILE)}")
    assert len(HOSTILE) >= 8
    assert {p.id.split("-")[0] for p in HOSTILE} == {f"p{n}" for n in range(1, 9)}


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot render")


def test_scrub_error_cuts_every_link_that_quotes_a_secret() -> None:
    error = TransportError(f"GET /x failed: {ACCESS_TOKEN}")
    clean = OSError("connection refused")
    leaky = RuntimeError(f"request headers: {{'access-token': '{ACCESS_TOKEN}'}}")
    hidden = ValueError("hidden by raise ... from")
    error.__cause__ = clean
    clean.__context__ = leaky
    leaky.__context__ = clean  # a cycle must not loop
    error.__context__ = hidden
    error.__suppress_context__ = True
    clean.__cause__ = _Unprintable()  # cannot be checked: cut too
    assert scrub_error(error, (ACCESS_TOKEN,)) is error
    assert ACCESS_TOKEN not in str(error) and "[REDACTED]" in str(error)
    assert error.__cause__ is clean and error.__context__ is None
    assert clean.__context__ is None and clean.__cause__ is None
    assert_error_clean(error)


async def test_decode_errors_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    def quoting_decode(self: Any, content: bytes) -> Any:
        raise TransportError(f"unexpected response shape: {content.decode()}")

    monkeypatch.setattr(ResponseDecoder, "decode", quoting_decode)
    client = MubertClient(
        CUSTOMER_ID,
        ACCESS_TOKEN,
        transport=MockTransport(lambda r: Response(200, {}, ACCESS_TOKEN.encode())),
    )
    with pytest.raises(TransportError) as info:
        await client.playlists.list()
    assert_error_clean(info.value)
