"""Downloading a generated file to disk: streamed, checked, and written atomically.

The file is streamed chunk by chunk into a temporary file next to the target (file
I/O runs in worker threads) and moved onto the target with ``os.replace`` only once
it is complete. On any failure or cancellation the temporary file is removed and a
file already at the target is left as it was.

Hostile file hosts are assumed (issue 9): the whole transfer has a deadline and a
stall timeout, the body a size cap derived from the track's duration and bitrate,
audio is never decompressed, every hop must be https (http only to loopback) and
redirects are bounded. The request carries no credentials, and any the answer
echoes are scrubbed from the error.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, BinaryIO, Final
from urllib.parse import urljoin, urlsplit

import anyio
import anyio.to_thread
import msgspec

from .._config import plain_http_refusal
from .._logging import logger
from .._validation import MAX_DURATION, check_choice, check_int, check_path_id, check_timeout
from ..errors import (
    InvalidRequestError,
    LinkExpiredError,
    MubertError,
    RequestTimeout,
    TransportError,
    _error_from_response,
    scrub_error,
)
from ..models import BITRATES, Format, Generation, GenerationStatus, Track
from ..models._tracks import _newest
from ..transport import Request, StreamResponse, Transport

if TYPE_CHECKING:
    from ._api import TrackAPI

__all__ = [
    "DEFAULT_STALL_TIMEOUT",
    "EXPIRY_SLACK",
    "MAX_REDIRECTS",
    "default_max_bytes",
    "default_timeout",
    "download_track",
]

DEFAULT_STALL_TIMEOUT: Final = 30.0
"""Seconds a download may go without receiving a byte (and may take to connect)."""
MIN_TIMEOUT: Final = 120.0
"""The shortest default deadline for a whole download, in seconds."""
MIN_THROUGHPUT: Final = 250_000
"""Bytes per second the default deadline allows for moving ``max_bytes``."""
MAX_REDIRECTS: Final = 5
"""Redirects a download follows before giving up."""
EXPIRY_SLACK: Final = timedelta(hours=24)
"""How far past ``expired_at`` (by the local clock) a link is refused without asking.

Within it the file host is asked and has the last word: a client clock that runs
ahead (or a machine keeping local time as UTC, up to 14 hours off) must not refuse
a link that is still valid.
"""
WAV_BYTES_PER_SECOND: Final = 48_000 * 2 * 4
"""The most a second of WAV could take: 48 kHz, stereo, 32-bit samples."""
SIZE_MARGIN: Final = 2
"""How many times the expected size ``default_max_bytes`` allows."""
SIZE_FLOOR: Final = 1024 * 1024
"""Bytes ``default_max_bytes`` always allows on top (tags, cover art, headers)."""

_NAME_MAX: Final = 255  # bytes in one file name on ext4, APFS, NTFS, XFS, btrfs...
_PART_OVERHEAD: Final = len(".") + len(".") + 12 + len(".part")  # .<name>.<hex>.part
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_FORMATS = frozenset(member.value for member in Format)
_ERROR_BODY_LIMIT = 64 * 1024
_S3_FIELD = re.compile(rb"<(Code|Message)>([^<]{0,500})</\1>")
_DIGITS = re.compile(r"\d{1,19}", re.ASCII)


async def download_track(
    tracks: TrackAPI,
    transport: Transport,
    track: Track | str,
    dest: str | os.PathLike[str],
    *,
    format: Format | str | None = None,
    bitrate: int | None = None,
    timeout: float | None = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    max_bytes: int | None = None,
    chunk_size: int = 65536,
    secrets: tuple[str, ...] = (),
) -> pathlib.Path:
    """Download a done generation of ``track`` to ``dest``; return the file's path.

    ``track`` is a Track or its id; an id, or a Track without a done generation
    matching ``format``/``bitrate``, is fetched again with ``tracks.get``. The newest
    matching ``done`` generation is downloaded. ``dest`` is an existing directory
    (the file is named ``<track id>.<format>`` inside it) or a file path whose
    directory exists. The request carries no credentials (the URL is pre-signed).

    Bounds: ``timeout`` is the deadline of the whole transfer (default
    ``default_timeout(max_bytes)``), ``stall_timeout`` the longest wait to connect
    or for the next bytes, ``max_bytes`` the largest body accepted (default
    ``default_max_bytes``). At most ``MAX_REDIRECTS`` redirects are followed; every
    URL must be https, or http to a loopback host, and none may step down from https
    to http. The body is never decompressed: an encoded one is refused. ``secrets``
    (the client's credentials) are scrubbed from every error.

    Raises ``InvalidRequestError`` for bad arguments, a URL that is not https or
    when no matching generation is done, ``LinkExpiredError`` when the link has
    expired (long past ``expired_at``, or as the file server answers), ``APIError``
    for another error status, ``RequestTimeout`` past a deadline, ``TransportError``
    when the connection fails, a bound is crossed or the body is cut short, and
    ``OSError`` when the file cannot be written.
    """
    try:
        wanted_format = check_choice("format", format) if format is not None else None
        wanted_bitrate = check_choice("bitrate", bitrate) if bitrate is not None else None
        check_int("chunk_size", chunk_size, minimum=1)
        deadline = check_timeout("timeout", timeout) if timeout is not None else None
        stall = check_timeout("stall_timeout", stall_timeout)
        limit = check_int("max_bytes", max_bytes, minimum=1) if max_bytes is not None else None
        track_id = check_path_id("track_id", track.id if isinstance(track, Track) else track)
        destination = await anyio.to_thread.run_sync(_Destination.of, dest)
        if destination.is_dir:  # before anything is sent
            _check_name_fits(track_id, max(_FORMATS, key=len))

        track, generation = await _choose(tracks, track, track_id, wanted_format, wanted_bitrate)
        expired = _check_not_expired(track, track_id, generation)
        request = _download_request(track_id, generation, stall)
        limit = limit if limit is not None else default_max_bytes(track, generation)
        deadline = deadline if deadline is not None else default_timeout(limit)
        target = await anyio.to_thread.run_sync(destination.target, track_id, generation.format)
        job = _Job(transport, track, track_id, limit, chunk_size, expired, secrets)
        size = await job.fetch_within(deadline, request, target)
        logger.debug("downloaded track %s (%d bytes) to %s", track_id, size, target)
        return target
    except MubertError as exc:
        scrub_error(exc, secrets)  # in place: the bare raise keeps its traceback
        raise


def default_max_bytes(track: Track, generation: Generation) -> int:
    """The largest file accepted for ``generation`` when ``max_bytes`` is not given.

    ``SIZE_MARGIN`` times what the track's duration takes at the generation's
    bitrate (MP3; 320 kbit/s when unknown) or at ``WAV_BYTES_PER_SECOND`` (WAV),
    plus ``SIZE_FLOOR``. An unknown duration counts as ``MAX_DURATION``.
    """
    duration = track.duration if isinstance(track.duration, int) else MAX_DURATION
    duration = min(max(duration, 0), MAX_DURATION)
    if generation.format == Format.WAV:
        per_second = WAV_BYTES_PER_SECOND
    else:
        kbps = generation.bitrate if generation.bitrate in BITRATES else max(BITRATES)
        per_second = kbps * 1000 // 8
    return duration * per_second * SIZE_MARGIN + SIZE_FLOOR


def default_timeout(max_bytes: int) -> float:
    """The whole download's deadline when ``timeout`` is not given, in seconds.

    ``MIN_TIMEOUT``, or the time ``max_bytes`` take at ``MIN_THROUGHPUT``, whichever
    is longer.
    """
    return max(MIN_TIMEOUT, max_bytes / MIN_THROUGHPUT)


# -- choosing the generation ------------------------------------------------------------


async def _choose(
    tracks: TrackAPI, track: Track | str, track_id: str, fmt: str | None, bitrate: int | None
) -> tuple[Track, Generation]:
    """The track (fetched again when it has no matching done generation) and that generation."""
    if not isinstance(track, Track) or _pick(track, fmt, bitrate) is None:
        track = await tracks.get(track_id)
    generation = _pick(track, fmt, bitrate)
    if generation is None:
        raise InvalidRequestError("track", _missing_rule(track, track_id, fmt, bitrate))
    return track, generation


def _matches(generation: Generation, fmt: str | None, bitrate: int | None) -> bool:
    return (fmt is None or generation.format == fmt) and (
        bitrate is None or generation.bitrate == bitrate
    )


def _pick(track: Track, fmt: str | None, bitrate: int | None) -> Generation | None:
    """The newest ``done`` generation of ``track`` in ``fmt``/``bitrate`` (None: any)."""
    done = tuple(
        g
        for g in track.generations or ()
        if g.status == GenerationStatus.DONE and _matches(g, fmt, bitrate)
    )
    return _newest(done)


def _label(generation: Generation) -> str:
    return f"{generation.format or '?'}/{generation.bitrate or '?'}"


def _missing_rule(track: Track, track_id: str, fmt: str | None, bitrate: int | None) -> str:
    """Why no generation of ``track`` can be downloaded, naming what exists."""
    generations = track.generations or ()
    if not generations:
        return f"track {track_id} has no generations yet"
    want = f" in {fmt or '*'}/{bitrate or '*'}" if fmt or bitrate else ""
    done = sorted({_label(g) for g in generations if g.status == GenerationStatus.DONE})
    known = f"; done: {', '.join(done) or 'none'}"
    newest = _newest(tuple(g for g in generations if _matches(g, fmt, bitrate)))
    if newest is None:
        return f"track {track_id} has no generation{want}{known}"
    if newest.status == GenerationStatus.PROCESSING:
        return (
            f"track {track_id} is not done yet: its newest generation{want} is still "
            f"processing (wait for it with client.tracks.wait){known}"
        )
    if newest.status == GenerationStatus.FAILED:
        return f"track {track_id}: its newest generation{want} failed and none is done{known}"
    return f"track {track_id} has no done generation{want} (newest: {newest.status}){known}"


def _now() -> datetime:
    """The wall clock, in UTC (tests may replace it)."""
    return datetime.now(timezone.utc)


def _check_not_expired(track: Track, track_id: str, generation: Generation) -> bool:
    """Refuse a link long past its ``expired_at``; True when it is past it at all.

    Only a link expired by more than ``EXPIRY_SLACK`` on the local clock is refused
    without asking: the file host judges the rest, and a denial from it for a link
    that is past ``expired_at`` becomes ``LinkExpiredError``.
    """
    expired_at = generation.expired_at
    if expired_at is None:
        return False
    if expired_at.tzinfo is None:
        expired_at = expired_at.replace(tzinfo=timezone.utc)
    now = _now()
    if expired_at + EXPIRY_SLACK <= now:
        raise LinkExpiredError(
            f"the download link of track {track_id} ({_label(generation)}) expired at "
            f"{expired_at.isoformat()}; generate it again to download it",
            track=track,
        )
    return expired_at <= now


def _download_request(track_id: str, generation: Generation, stall: float) -> Request:
    """A GET of the pre-signed URL: no credentials, no redirects, nothing decompressed."""
    url = generation.url
    refusal = plain_http_refusal(url) if url else "is missing"
    if refusal is not None:  # the URL is not quoted: its signature grants access
        raise InvalidRequestError(
            "track",
            f"the download url of generation {_label(generation)} of track {track_id} {refusal}",
        )
    assert url is not None
    # identity: the bytes counted and written are the bytes sent, never inflated ones.
    headers = {"accept-encoding": "identity"}
    return Request(
        "GET", url, headers=headers, timeout=stall, follow_redirects=False, decompress=False
    )


def _next_hop(track_id: str, url: str, location: str) -> str:
    """Where a redirect from ``url`` to ``location`` leads, if it may be followed."""
    target = urljoin(url, location.strip())
    refusal = plain_http_refusal(target)
    if refusal is None and urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
        refusal = "steps down from https to plain http"
    if refusal is not None:
        raise TransportError(
            f"the download of track {track_id} was redirected to a URL that {refusal}; "
            "refused (downloads need https, or http to a loopback host)",
            sent=True,
        )
    return target


def _check_name_fits(track_id: str, fmt: str) -> None:
    """Refuse an id too long for the file ``<id>.<fmt>`` (file names have 255 bytes)."""
    size = len(os.fsencode(f"{track_id}.{fmt}"))
    if size > _NAME_MAX:
        raise InvalidRequestError(
            "track_id",
            f"is too long to name a file ({size} bytes with its extension; file systems "
            f"allow {_NAME_MAX}); pass a file path as dest",
        )


# -- where the file goes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Destination:
    """A checked ``dest``: a resolved directory, or a file path in a resolved directory."""

    path: pathlib.Path
    is_dir: bool

    @classmethod
    def of(cls, dest: str | os.PathLike[str]) -> _Destination:
        """Check ``dest`` (blocking: it looks at the file system)."""
        raw = os.fspath(dest) if isinstance(dest, (str, os.PathLike)) else None
        if not isinstance(raw, str) or not raw or "\x00" in raw:
            raise InvalidRequestError("dest", "must be a non-empty str or os.PathLike path")
        path = pathlib.Path(raw)
        if path.is_dir():
            return cls(path.resolve(), is_dir=True)
        if raw.endswith(("/", os.sep)):
            return cls(_make_directory(path, raw), is_dir=True)
        if path.name in ("", ".", ".."):
            raise InvalidRequestError("dest", f"directory {raw!r} does not exist")
        if not path.parent.is_dir():
            raise InvalidRequestError("dest", f"directory {str(path.parent)!r} does not exist")
        return cls(path.parent.resolve() / path.name, is_dir=False)

    def target(self, track_id: str, fmt: str | None) -> pathlib.Path:
        """The file to write (blocking: it looks at the file system).

        Whatever is at the target must be a file or a symbolic link (which is
        replaced, not followed); a directory, device or pipe there is refused.
        """
        target = self.path if not self.is_dir else self._inside(track_id, fmt)
        mode = _lstat_mode(target)
        if mode and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise InvalidRequestError("dest", f"{str(target)!r} is {kind}")
        return target

    def _inside(self, track_id: str, fmt: str | None) -> pathlib.Path:
        """``<track id>.<format>`` in the directory, refusing any name that would leave it."""
        if fmt not in _FORMATS:
            raise InvalidRequestError(
                "format", f"cannot name a file for format {fmt!r}; pass a file path as dest"
            )
        name = f"{check_path_id('track_id', track_id)}.{fmt}"
        _check_name_fits(track_id, fmt)
        target = self.path / name
        if target.parent != self.path or target.name != name:
            raise InvalidRequestError("track_id", f"{track_id!r} is not a safe file name")
        return target


def _make_directory(path: pathlib.Path, raw: str) -> pathlib.Path:
    """A ``dest`` ending in a separator names a folder: made if missing, as ``mkdir -p``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = f"cannot create directory {raw!r}: {exc.strerror}"
        raise InvalidRequestError("dest", reason) from None
    return path.resolve()


def _lstat_mode(path: pathlib.Path) -> int:
    """``st_mode`` of ``path`` itself (a link is not followed), 0 when it does not exist."""
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return 0


def _shortened(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` bytes in the file system's encoding."""
    name = name[:limit]
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class _PartFile:
    """A temporary ``.part`` file next to the target, moved onto it once complete.

    Every method blocks; call them in a worker thread. A lock orders them, so a
    ``discard`` that runs while ``open``/``write``/``commit`` is still busy in another
    thread (an asyncio task cancelled while awaiting one) waits for it and cleans up
    after it, and nothing happens to the file once it is discarded.
    """

    def __init__(self, target: pathlib.Path) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._path: pathlib.Path | None = None
        self._file: BinaryIO | None = None
        self._finished = False  # committed or discarded

    def open(self) -> None:
        """Create the temporary file (in the target's directory)."""
        with self._lock:
            if self._finished:
                return
            # Like mkstemp, but with the permissions open() gives a new file (the
            # umask applies), so the result needs no chmod unless it replaces a file.
            stem = _shortened(self.target.name, _NAME_MAX - _PART_OVERHEAD)
            for _ in range(100):
                name = f".{stem}.{secrets.token_hex(6)}.part"
                try:
                    fd = os.open(self.target.parent / name, _CREATE_FLAGS, 0o666)
                except FileExistsError:
                    continue
                break
            else:  # pragma: no cover - 100 collisions of 48 random bits
                raise FileExistsError(f"no free temporary name beside {self.target}")
            self._path = self.target.parent / name
            try:
                self._file = os.fdopen(fd, "wb")
            except BaseException:
                os.close(fd)
                raise

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``."""
        with self._lock:
            self._open_file().write(chunk)

    def commit(self) -> None:
        """Flush to disk, give the file normal permissions and replace the target with it."""
        with self._lock:
            file = self._open_file()
            file.flush()
            os.fsync(file.fileno())
            file.close()
            assert self._path is not None
            replaced = _lstat_mode(self.target)
            if stat.S_ISREG(replaced):  # keep the permissions of the file being replaced
                os.chmod(self._path, stat.S_IMODE(replaced))
            os.replace(self._path, self.target)  # a link at the target is replaced, not followed
            self._finished = True

    def discard(self) -> None:
        """Close and remove the temporary file unless committed; never raises."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
            if self._path is not None:
                with contextlib.suppress(OSError):
                    self._path.unlink()

    def _open_file(self) -> BinaryIO:
        if self._file is None or self._finished:
            raise RuntimeError("the temporary file is not open")
        return self._file


# -- streaming --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    """One file transfer: where it comes from, what bounds it, whom errors concern."""

    transport: Transport
    track: Track
    track_id: str
    limit: int
    chunk_size: int
    expired: bool  # past expired_at by the local clock (a denial then means expired)
    secrets: tuple[str, ...]

    async def fetch_within(self, deadline: float, request: Request, target: pathlib.Path) -> int:
        """``fetch_to`` within ``deadline`` seconds, else ``RequestTimeout``."""
        with anyio.move_on_after(deadline):  # only its own deadline ends up past the block
            return await self.fetch_to(request, target)
        raise RequestTimeout(
            f"the download of track {self.track_id} took longer than its timeout "
            f"({deadline:g} s); pass a larger timeout to download it",
            sent=True,
        )

    async def fetch_to(self, request: Request, target: pathlib.Path) -> int:
        """Stream ``request``'s body (following redirects) into ``target`` atomically."""
        part = _PartFile(target)
        try:
            await anyio.to_thread.run_sync(part.open)
            for _ in range(MAX_REDIRECTS + 1):
                async with self.transport.stream(request) as response:
                    location = response.headers.get("location")
                    if response.status not in _REDIRECTS or not location:
                        await self._check(response)
                        size = await self._copy(response, part)
                        break
                request = replace(request, url=_next_hop(self.track_id, request.url, location))
            else:
                raise TransportError(
                    f"the download of track {self.track_id} was redirected more than "
                    f"{MAX_REDIRECTS} times; refused",
                    sent=True,
                )
            await anyio.to_thread.run_sync(part.commit)
            return size
        finally:
            await _discard(part)

    async def _check(self, response: StreamResponse) -> None:
        """Refuse an error status, an encoded body, or one announced larger than the cap."""
        if not 200 <= response.status < 300:
            raise await self._error(response)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise TransportError(
                f"the file host sent track {self.track_id} with content-encoding "
                f"{encoding[:40]!r} although identity was asked for; refused (audio is "
                "never decompressed)",
                sent=True,
            )
        expected = _content_length(response.headers)
        if expected is not None and expected > self.limit:
            raise TransportError(
                f"the file of track {self.track_id} announces content-length {expected}, "
                f"more than max_bytes ({self.limit}); pass a larger max_bytes to download it",
                sent=True,
            )

    async def _copy(self, response: StreamResponse, part: _PartFile) -> int:
        """Write the body to ``part`` as it arrives, checking content-length and the cap."""
        expected = _content_length(response.headers)
        received = 0
        async for chunk in response.aiter_bytes(self.chunk_size):
            received += len(chunk)
            if received > self.limit:
                raise TransportError(
                    f"the file of track {self.track_id} is larger than max_bytes "
                    f"({self.limit} bytes); refused (pass a larger max_bytes if it is "
                    "really that big)",
                    sent=True,
                )
            if expected is not None and received > expected:
                break
            await anyio.to_thread.run_sync(part.write, chunk)
        if expected is not None and received > expected:
            raise TransportError(f"download longer than its content-length ({expected} bytes)")
        if expected is not None and received < expected:
            raise TransportError(f"download incomplete: got {received} of {expected} bytes")
        return received

    async def _error(self, response: StreamResponse) -> MubertError:
        """``LinkExpiredError`` when the answer says the link expired, else the ``APIError``."""
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content += chunk[: _ERROR_BODY_LIMIT - len(content)]
            if len(content) >= _ERROR_BODY_LIMIT:
                break
        status = response.status
        if status == 410 or (
            status in (403, 404) and (self.expired or b"expired" in content.lower())
        ):
            return LinkExpiredError(
                f"the download link of track {self.track_id} has expired (HTTP {status}); "
                "generate it again to download it",
                track=self.track,
            )
        return _error_from_response(
            status, response.headers, _s3_as_json(bytes(content)), secrets=self.secrets
        )


async def _discard(part: _PartFile) -> None:
    """Remove the temporary file (if still there), even while being cancelled."""
    with anyio.CancelScope(shield=True):
        try:
            await anyio.to_thread.run_sync(part.discard)
            return
        except Exception:  # the loop's worker threads are gone (it is shutting down)
            pass
    part.discard()


def _content_length(headers: Mapping[str, str]) -> int | None:
    """The body's length in bytes as announced, when it describes the bytes received."""
    if headers.get("content-encoding", "identity").strip().lower() != "identity":
        return None
    raw = headers.get("content-length", "").strip()
    return int(raw) if _DIGITS.fullmatch(raw) else None


def _s3_as_json(content: bytes) -> bytes:
    """An S3-style XML error (``<Error><Code>..</Code><Message>..</Message>``) as JSON."""
    if b"<Error>" not in content[:1000]:
        return content
    fields = {
        name.decode().lower(): value.decode("utf-8", "replace").strip()
        for name, value in _S3_FIELD.findall(content)
    }
    return msgspec.json.encode(fields) if fields else content
