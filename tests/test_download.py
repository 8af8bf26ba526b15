"""Downloading generated files: choosing the generation, naming, atomicity, errors."""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
import sys
import threading
import wave
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from mubert_async import (
    Generation,
    InvalidRequestError,
    LinkExpiredError,
    MubertClient,
    MubertError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeout,
    ServerError,
    Track,
    TransportError,
)
from mubert_async.generation._download import (
    EXPIRY_SLACK,
    _next_hop,
    default_max_bytes,
    default_timeout,
    download_track,
)
from mubert_async.testing import FakeMubert, Fault, ManualClock
from mubert_async.transport import MockTransport, Request, Response

FILES = "https://files.example.test/tracks"
CREDENTIAL_HEADERS = {"customer-id", "access-token", "company-id", "license-token"}


async def download(client: MubertClient, track: Track | str, dest: Any, **kw: Any) -> Path:
    """What ``client.tracks.download`` does."""
    return await download_track(
        client.tracks, client.transport, track, dest, timeout=client.timeout, **kw
    )


async def done_track(client: MubertClient, clock: ManualClock, **fields: Any) -> Track:
    track = await client.tracks.create(playlist_index="1.0.0", duration=5, **fields)
    clock.advance(10)
    return await client.tracks.get(track.id)


async def served(client: MubertClient, url: str | None) -> bytes:
    assert url is not None
    return (await client.transport.send(Request("GET", url))).content


# Sync helpers: the file system is looked at outside the event loop's async functions.


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def leftovers(directory: Path) -> list[str]:
    return [name for name in names(directory) if name.endswith(".part")]


def read(path: Path) -> bytes:
    return path.read_bytes()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def resolved(path: Path) -> Path:
    return path.resolve()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def hand_track(
    track_id: str = "t1",
    *,
    generations: tuple[Generation, ...] | None = None,
    fmt: str = "mp3",
    url: str | None = None,
    expired_at: datetime | None = None,
) -> Track:
    if generations is None:
        soon = datetime.now(timezone.utc) + timedelta(hours=1)
        generation = Generation(
            status="done",
            format=fmt,
            bitrate=128,
            url=url or f"{FILES}/x.{fmt}",
            expired_at=expired_at or soon,
        )
        generations = (generation,)
    return Track(id=track_id, generations=generations)


def mock_client(
    respond: Callable[[Request], Response], seen: list[Request] | None = None
) -> MubertClient:
    def handler(request: Request) -> Response:
        if seen is not None:
            seen.append(request)
        return respond(request)

    return MubertClient("cust-secret", "token-secret", transport=MockTransport(handler))


def body(
    content: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Callable[[Request], Response]:
    merged = {"content-length": str(len(content)), **(headers or {})}
    return lambda _request: Response(status, merged, content)


# -- naming and destinations -------------------------------------------------------------


async def test_directory_dest_names_file_by_id_and_format(
    client: MubertClient, clock: ManualClock, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    path = await download(client, track, tmp_path)
    assert path == resolved(tmp_path) / f"{track.id}.mp3"
    assert read(path) == await served(client, track.url)
    assert names(tmp_path) == [path.name]


async def test_file_dest_and_str_paths(
    client: MubertClient, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    track = await done_track(client, clock)
    assert await download(client, track, tmp_path / "song.bin") == resolved(tmp_path) / "song.bin"
    monkeypatch.chdir(tmp_path)
    assert await download(client, track, "other.mp3") == resolved(tmp_path) / "other.mp3"
    assert read(tmp_path / "other.mp3") == read(tmp_path / "song.bin")


async def test_new_file_gets_normal_permissions(
    client: MubertClient, clock: ManualClock, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    path = await download(client, track, tmp_path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode(path) == 0o666 & ~umask  # not mkstemp's 0600


async def test_dest_must_be_in_an_existing_directory(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    before = len(fake.requests)
    for dest in (tmp_path / "missing" / "x.mp3", "", "a\x00b"):
        with pytest.raises(InvalidRequestError) as info:
            await download(client, track, dest)
        assert info.value.field == "dest"
    with pytest.raises(InvalidRequestError):
        await download(client, track, b"/tmp/x.mp3")
    assert len(fake.requests) == before  # nothing sent
    assert names(tmp_path) == []


async def test_directory_in_the_way_is_refused(
    client: MubertClient, clock: ManualClock, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    os.mkdir(tmp_path / f"{track.id}.mp3")
    with pytest.raises(InvalidRequestError, match="is a directory"):
        await download(client, track, tmp_path)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("track_id", ["a/b", "..", "/etc/passwd", "a\x00b", "..\\x", ""])
async def test_ids_that_would_escape_are_refused(track_id: str, tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"data"), seen)
    with pytest.raises(InvalidRequestError):
        await download(client, hand_track(track_id), tmp_path)
    with pytest.raises(InvalidRequestError):
        await download(client, track_id, tmp_path)
    assert seen == []
    assert names(tmp_path) == []


async def test_unknown_server_format_needs_a_file_path(tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"fLaC"), seen)
    track = hand_track(fmt="flac")
    with pytest.raises(InvalidRequestError, match="flac"):
        await download(client, track, tmp_path)
    assert seen == []
    path = await download(client, track, tmp_path / "t1.flac")
    assert read(path) == b"fLaC"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
async def test_symlink_at_target_is_replaced_not_followed(
    client: MubertClient, clock: ManualClock, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    outside = write(tmp_path / "outside.txt", b"keep me")
    inside = tmp_path / "dir"
    os.mkdir(inside)
    link = inside / f"{track.id}.mp3"
    os.symlink(outside, link)
    path = await download(client, track, inside)
    assert path == resolved(inside) / link.name
    assert not os.path.islink(path)
    assert read(path) == await served(client, track.url)
    assert read(outside) == b"keep me"


# -- choosing the generation -------------------------------------------------------------


async def test_format_and_bitrate_choose_among_generations(
    client: MubertClient, clock: ManualClock, tmp_path: Path
) -> None:
    track = await done_track(client, clock)  # mp3/128
    await client.tracks.edit(track, format="wav", bitrate=320)
    clock.advance(10)
    track = await client.tracks.get(track.id)

    wav = await download(client, track, tmp_path, format="wav")
    assert wav.name == f"{track.id}.wav"
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() / audio.getframerate() == pytest.approx(track.duration)
    mp3 = await download(client, track, tmp_path, bitrate=128)
    assert mp3.name == f"{track.id}.mp3"
    mp3_url = next(g.url for g in track.generations or () if g.format == "mp3")
    assert read(mp3) == await served(client, mp3_url)
    newest = await download(client, track, tmp_path / "newest")
    assert read(newest) == read(wav)  # no format: the newest done one
    with pytest.raises(InvalidRequestError, match=r"wav/128.*done: mp3/128, wav/320"):
        await download(client, track, tmp_path, format="wav", bitrate=128)


async def test_newest_done_generation_wins_ties_by_position(tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"x"), seen)
    at = datetime.now(timezone.utc)
    later = at + timedelta(hours=1)
    dated = (("old", at - timedelta(1)), ("first", at), ("second", at), ("undated", None))
    done = tuple(
        Generation(
            status="done",
            format="mp3",
            bitrate=128,
            url=f"{FILES}/{name}.mp3",
            created_at=created,
            expired_at=later,
        )
        for name, created in dated
    )
    processing = Generation(status="processing", format="mp3", bitrate=128, created_at=later)
    generations = (*done, processing)
    await download(client, hand_track(generations=generations[:3]), tmp_path)
    await download(client, hand_track(generations=generations), tmp_path)
    assert [r.url.rsplit("/", 1)[1] for r in seen] == ["second.mp3", "undated.mp3"]


async def test_id_is_fetched_and_stale_track_refetched(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    stale = await client.tracks.create(playlist_index="1.0.0", duration=5)
    clock.advance(10)
    path = await download(client, stale, tmp_path)  # the processing copy is fetched again
    assert path.name == f"{stale.id}.mp3"
    assert [r.url.split("/api/v3")[-1] for r in fake.requests[-2:-1]] == [
        f"/public/tracks/{stale.id}"
    ]
    assert read(await download(client, stale.id, tmp_path / "by-id.mp3"))


async def test_processing_track_is_not_done(
    client: MubertClient, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await client.tracks.create(playlist_index="1.0.0", duration=5)
    with pytest.raises(InvalidRequestError, match=r"not done yet.*processing.*done: none") as info:
        await download(client, track, tmp_path)
    assert info.value.field == "track"
    assert not any("/tracks/" in r.url and "storage" in r.url for r in fake.requests)
    assert names(tmp_path) == []


async def test_failed_generation_is_named(clock: ManualClock, tmp_path: Path) -> None:
    fake = FakeMubert(clock=clock, generation_time=1.0, failure_rate=1.0)
    async with fake.client() as client:
        track = await client.tracks.create(playlist_index="1.0.0", duration=5)
        clock.advance(2)
        with pytest.raises(InvalidRequestError, match=r"newest generation failed.*done: none"):
            await download(client, track.id, tmp_path)


async def test_arguments_are_checked_before_sending(
    client: MubertClient, fake: FakeMubert, tmp_path: Path
) -> None:
    before = len(fake.requests)
    for kwargs in ({"format": "flac"}, {"bitrate": 100}, {"bitrate": "320"}, {"chunk_size": 0}):
        with pytest.raises(InvalidRequestError):
            await download(client, "some-id", tmp_path, **kwargs)
    assert len(fake.requests) == before


# -- the request -------------------------------------------------------------------------


async def test_download_request_carries_no_credentials(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    await download(client, track, tmp_path)
    request = fake.requests[-1]
    assert request.url == track.url
    assert not CREDENTIAL_HEADERS & {name.lower() for name in request.headers}
    # Redirects are followed hop by hop by the download itself; 30 s is the stall timeout.
    assert (request.method, request.follow_redirects, request.timeout) == ("GET", False, 30.0)
    assert request.decompress is False and request.headers["accept-encoding"] == "identity"
    assert "secret" not in repr(dict(request.headers))


async def test_mock_transport_sees_no_credentials(tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"abc"), seen)
    await download(client, hand_track(), tmp_path)
    assert [r.url for r in seen] == [f"{FILES}/x.mp3"]
    assert all("secret" not in value for value in seen[0].headers.values())


# -- expiry and error statuses -----------------------------------------------------------


async def test_expired_link_is_refused_before_sending(tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"x"), seen)
    past = datetime.now(timezone.utc) - EXPIRY_SLACK - timedelta(seconds=1)
    track = hand_track(expired_at=past)
    with pytest.raises(LinkExpiredError, match="expired at") as info:
        await download(client, track, tmp_path)
    assert info.value.track is track
    naive = hand_track(expired_at=past.replace(tzinfo=None))  # taken as UTC
    with pytest.raises(LinkExpiredError):
        await download(client, naive, tmp_path)
    assert seen == []
    assert names(tmp_path) == []


async def test_server_side_expiry_is_link_expired(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await done_track(client, clock)
    target = tmp_path / "keep.mp3"
    write(target, b"previous")
    clock.advance(901)  # the fake's links last 900 s; the Track still claims a future expiry
    with pytest.raises(LinkExpiredError, match="HTTP 403") as info:
        await download(client, track, target)
    assert info.value.track is track
    assert fake.requests[-1].url == track.url
    assert read(target) == b"previous"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("status", "content", "error", "code"),
    [
        (
            403,
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            PermissionDeniedError,
            "AccessDenied",
        ),
        (
            404,
            b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
            NotFoundError,
            "NoSuchKey",
        ),
        (410, b"gone", LinkExpiredError, None),
        (404, b"<Error><Message>Request has expired</Message></Error>", LinkExpiredError, None),
        (503, b"", ServerError, None),
    ],
)
async def test_error_statuses(
    status: int, content: bytes, error: type[Exception], code: str | None, tmp_path: Path
) -> None:
    client = mock_client(body(content, status))
    with pytest.raises(error) as info:
        await download(client, hand_track(), tmp_path)
    if code is not None:
        assert getattr(info.value, "code", None) == code
        assert info.value.status == status  # type: ignore[attr-defined]
    assert names(tmp_path) == []


# -- atomicity -----------------------------------------------------------------------------


async def test_reset_mid_body_leaves_nothing_behind(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await done_track(client, clock, format="wav")
    existing = tmp_path / f"{track.id}.wav"
    write(existing, b"the old file")
    fault = fake.faults.add(Fault.reset_during_body(path=r"^/tracks/", times=2))
    with pytest.raises(TransportError, match="reset"):
        await download(client, track, tmp_path)
    assert read(existing) == b"the old file"
    os.unlink(existing)
    with pytest.raises(TransportError):
        await download(client, track, tmp_path, chunk_size=1024)
    assert fault.hits == 2
    assert names(tmp_path) == []
    assert read(await download(client, track, tmp_path))  # the faults are used up


@pytest.mark.parametrize(("content", "length"), [(b"a" * 10, "11"), (b"a" * 10, "9")])
async def test_content_length_mismatch(content: bytes, length: str, tmp_path: Path) -> None:
    client = mock_client(body(content, headers={"content-length": length}))
    with pytest.raises(TransportError, match=r"content-length|incomplete"):
        await download(client, hand_track(), tmp_path, chunk_size=3)
    assert names(tmp_path) == []


async def test_encoded_body_is_refused_and_missing_length_is_not_checked(
    tmp_path: Path,
) -> None:
    client = mock_client(
        lambda _r: Response(200, {"content-encoding": "gzip", "content-length": "3"}, b"12345")
    )
    with pytest.raises(TransportError, match="never decompressed"):
        await download(client, hand_track(), tmp_path)
    assert names(tmp_path) == []
    client = mock_client(lambda _r: Response(200, {"content-encoding": "identity"}, b"12"))
    assert read(await download(client, hand_track(), tmp_path)) == b"12"
    client = mock_client(lambda _r: Response(200, {}, b"123"))
    assert read(await download(client, hand_track(), tmp_path)) == b"123"


class _BlockingStream:
    """A 200 response that sends one chunk and then never sends more."""

    status = 200
    headers: Mapping[str, str] = {"content-length": "1000"}

    def __init__(self) -> None:
        self.first_written = anyio.Event()

    async def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        yield b"x" * 100
        self.first_written.set()  # asked for more: the first chunk is on disk
        await anyio.sleep_forever()

    async def aread(self) -> bytes:
        raise AssertionError("not used")


class _BlockingTransport:
    def __init__(self) -> None:
        self.response = _BlockingStream()
        self.closed = False

    async def send(self, request: Request) -> Response:
        raise AssertionError("downloads stream")

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[_BlockingStream]:
        try:
            yield self.response
        finally:
            self.closed = True

    async def aclose(self) -> None:
        pass


async def test_cancelled_with_cancel_scope_leaves_no_temp_file(tmp_path: Path) -> None:
    transport = _BlockingTransport()
    client = mock_client(body(b""))
    existing = tmp_path / "t1.mp3"
    write(existing, b"old")
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: download_track(client.tracks, transport, hand_track(), tmp_path))
        with anyio.fail_after(5):
            await transport.response.first_written.wait()
        assert len(leftovers(tmp_path)) == 1  # the download really was under way
        tg.cancel_scope.cancel()
    assert leftovers(tmp_path) == []
    assert read(existing) == b"old"
    assert transport.closed


async def test_cancelled_asyncio_task_leaves_no_temp_file(tmp_path: Path) -> None:
    transport = _BlockingTransport()
    client = mock_client(body(b""))
    task = asyncio.create_task(download_track(client.tracks, transport, hand_track(), tmp_path))
    with anyio.fail_after(5):
        await transport.response.first_written.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert names(tmp_path) == []


async def test_move_on_after_leaves_no_temp_file(tmp_path: Path) -> None:
    transport = _BlockingTransport()
    client = mock_client(body(b""))
    with anyio.move_on_after(0.02) as scope:
        await download_track(client.tracks, transport, hand_track(), tmp_path)
    assert scope.cancelled_caught
    assert names(tmp_path) == []


async def test_task_cancelled_while_the_temp_file_is_being_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncio's task.cancel() (asyncio.timeout, wait_for) does not wait for a worker
    # thread: the file it creates after the task gave up must still be removed.
    entered, release = threading.Event(), threading.Event()
    real_token_hex = secrets.token_hex

    def slow_token_hex(nbytes: int) -> str:  # runs in the worker thread, just before creating
        entered.set()
        release.wait(5)
        return real_token_hex(nbytes)

    monkeypatch.setattr(secrets, "token_hex", slow_token_hex)
    client = mock_client(body(b"abc"))
    task = asyncio.create_task(download(client, hand_track(), tmp_path))
    assert await anyio.to_thread.run_sync(entered.wait, 5)
    task.cancel()
    for _ in range(5):
        await asyncio.sleep(0)  # the task gives up on the thread and starts cleaning up
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert names(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
async def test_special_file_at_target_is_refused(tmp_path: Path) -> None:
    seen: list[Request] = []
    client = mock_client(body(b"abc"), seen)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InvalidRequestError, match="not a regular file"):
        await download(client, hand_track(), tmp_path / "pipe")
    assert seen == []
    assert names(tmp_path) == ["pipe"]


async def test_client_tracks_download(
    client: MubertClient, clock: ManualClock, fake: FakeMubert, tmp_path: Path
) -> None:
    track = await done_track(client, clock, format="wav", bitrate=320)
    path = await client.tracks.download(track.id, tmp_path, format="wav", bitrate=320)
    assert path == resolved(tmp_path) / f"{track.id}.wav"
    assert read(path) == await served(client, track.url)
    assert fake.requests[-2].url == track.url  # the last one is served()'s
    assert fake.requests[-2].timeout == client.timeout


# -- bounds, redirects, schemes (issue 9; the hostile-server cases are in test_security) --


@pytest.mark.parametrize(
    ("current", "location", "expected"),
    [
        ("https://a.example/x", "https://b.example/y", "https://b.example/y"),
        ("https://a.example/x/1", "../y", "https://a.example/y"),
        ("https://a.example/x", "//b.example/y", "https://b.example/y"),
        ("http://127.0.0.1:9/x", "http://localhost:9/y", "http://localhost:9/y"),
        ("http://127.0.0.1:9/x", "https://cdn.example/y", "https://cdn.example/y"),
        ("http://[::1]:9/x", "/y", "http://[::1]:9/y"),
        ("https://a.example/x", "http://b.example/y", None),  # plain http outside loopback
        ("https://a.example/x", "http://127.0.0.1/admin", None),  # step-down to loopback
        ("http://127.0.0.1/x", "http://10.0.0.1/y", None),
        ("http://127.0.0.1/x", "http://127.0.0.1.nip.io/y", None),  # loopback by DNS only
        ("https://a.example/x", "ftp://a.example/y", None),
        ("https://a.example/x", "file:///etc/passwd", None),
        ("https://a.example/x", "https://a.example:99999/y", None),
        ("https://a.example/x", "https://a.example/y\r\nx: 1", None),
    ],
)
def test_redirect_rule(current: str, location: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(TransportError, match="refused"):
            _next_hop("t1", current, location)
    else:
        assert _next_hop("t1", current, location) == expected


@pytest.mark.parametrize(
    ("fmt", "bitrate", "duration", "expected"),
    [
        ("mp3", 128, 5, 5 * 16_000 * 2 + 1024 * 1024),  # 1,208,576
        ("mp3", 320, 3600, 3600 * 40_000 * 2 + 1024 * 1024),
        ("mp3", None, None, 3600 * 40_000 * 2 + 1024 * 1024),  # unknown: the worst case
        ("wav", 128, 30, 30 * 384_000 * 2 + 1024 * 1024),
        ("mp3", 128, 10**9, 3600 * 16_000 * 2 + 1024 * 1024),  # a server's absurd duration
    ],
)
def test_default_size_cap(
    fmt: str, bitrate: int | None, duration: int | None, expected: int
) -> None:
    generation = Generation(status="done", format=fmt, bitrate=bitrate, url=f"{FILES}/x")
    track = Track(id="t1", duration=duration, generations=(generation,))
    assert default_max_bytes(track, generation) == expected


def test_default_timeout() -> None:
    assert default_timeout(1_208_576) == 120.0
    assert default_timeout(10**9) == 4000.0


async def test_redirects_are_followed_hop_by_hop(tmp_path: Path) -> None:
    seen: list[Request] = []

    def respond(request: Request) -> Response:
        if request.url.endswith("/x.mp3"):
            return Response(302, {"location": "/tracks/moved"}, b"")
        if request.url.endswith("/moved"):
            return Response(303, {"location": "https://cdn.example.test/final"}, b"ignored")
        return Response(200, {"content-length": "3"}, b"abc")

    client = mock_client(respond, seen)
    assert read(await download(client, hand_track(), tmp_path)) == b"abc"
    assert [r.url for r in seen] == [
        f"{FILES}/x.mp3",
        "https://files.example.test/tracks/moved",
        "https://cdn.example.test/final",
    ]
    assert all(not r.follow_redirects and not r.decompress for r in seen)


async def test_redirect_without_location_is_an_error(tmp_path: Path) -> None:
    client = mock_client(body(b"", status=302))
    with pytest.raises(MubertError):
        await download(client, hand_track(), tmp_path)
    assert names(tmp_path) == []


async def test_whole_download_deadline_on_any_transport(tmp_path: Path) -> None:
    """The deadline does not rely on the transport's per-read timeout."""
    stream = _BlockingStream()

    class Blocking(MockTransport):
        @asynccontextmanager
        async def stream(self, request: Request) -> AsyncIterator[Any]:
            yield stream

    client = MubertClient("cust-secret", "token-secret", transport=Blocking(body(b"")))
    with pytest.raises(RequestTimeout, match="timeout"):
        await download_track(client.tracks, client.transport, hand_track(), tmp_path, timeout=0.2)
    assert leftovers(tmp_path) == []


async def test_dest_ending_in_a_separator_is_a_folder_made_if_missing(
    client: MubertClient, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the README's notebook snippet: ``download(track, "out/")`` in a fresh folder."""
    track = await done_track(client, clock)
    monkeypatch.chdir(tmp_path)
    path = await download(client, track, "out/")
    assert path == tmp_path / "out" / f"{track.id}.mp3"
    nested = await download(client, track, f"{tmp_path}/a/b{os.sep}")
    assert nested.parent == tmp_path / "a" / "b" and nested.read_bytes() == path.read_bytes()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(InvalidRequestError, match="cannot create directory") as info:
        await download(client, track, "file/")
    assert info.value.field == "dest"
