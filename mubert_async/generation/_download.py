"""Downloading a generated file to disk: streamed, checked, and written atomically.

The file is streamed chunk by chunk into a temporary file next to the target (file
I/O runs in worker threads) and moved onto the target with ``os.replace`` only once
it is complete. On any failure or cancellation the temporary file is removed and a
file already at the target is left as it was.
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
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import msgspec

from .._logging import logger
from .._validation import check_choice, check_int, check_path_id
from ..errors import (
    InvalidRequestError,
    LinkExpiredError,
    MubertError,
    TransportError,
    error_from_response,
)
from ..models import Format, Generation, GenerationStatus, Track
from ..models._tracks import _newest
from ..transport import Request, StreamResponse, Transport

if TYPE_CHECKING:
    from ..resources.tracks import Tracks

__all__ = ["download_track"]

_FORMATS = frozenset(member.value for member in Format)
_ERROR_BODY_LIMIT = 64 * 1024
_S3_FIELD = re.compile(rb"<(Code|Message)>([^<]{0,500})</\1>")
_DIGITS = re.compile(r"\d{1,19}", re.ASCII)


async def download_track(
    tracks: Tracks,
    transport: Transport,
    track: Track | str,
    dest: str | os.PathLike[str],
    *,
    format: Format | str | None = None,
    bitrate: int | None = None,
    timeout: float | None = None,
    chunk_size: int = 65536,
) -> pathlib.Path:
    """Download a done generation of ``track`` to ``dest``; return the file's path.

    ``track`` is a Track or its id; an id, or a Track without a done generation
    matching ``format``/``bitrate``, is fetched again with ``tracks.get``. The newest
    matching ``done`` generation is downloaded. ``dest`` is an existing directory
    (the file is named ``<track id>.<format>`` inside it) or a file path whose
    directory exists. The request carries no credentials (the URL is pre-signed)
    and follows redirects; ``timeout`` bounds connecting and each read.

    Raises ``InvalidRequestError`` for bad arguments or when no matching generation
    is done, ``LinkExpiredError`` when the link has expired (before sending, or as
    the file server answers), ``APIError`` for another error status,
    ``TransportError`` when the connection fails or the body is cut short, and
    ``OSError`` when the file cannot be written.
    """
    wanted_format = check_choice("format", format) if format is not None else None
    wanted_bitrate = check_choice("bitrate", bitrate) if bitrate is not None else None
    check_int("chunk_size", chunk_size, minimum=1)
    track_id = check_path_id("track_id", track.id if isinstance(track, Track) else track)
    destination = await anyio.to_thread.run_sync(_Destination.of, dest)

    if not isinstance(track, Track) or _pick(track, wanted_format, wanted_bitrate) is None:
        track = await tracks.get(track_id)
    generation = _pick(track, wanted_format, wanted_bitrate)
    if generation is None:
        raise InvalidRequestError(
            "track", _missing_rule(track, track_id, wanted_format, wanted_bitrate)
        )
    _check_not_expired(track, track_id, generation)
    request = _download_request(track_id, generation, timeout)
    target = await anyio.to_thread.run_sync(destination.target, track_id, generation.format)
    size = await _fetch_to(transport, request, target, track, track_id, chunk_size)
    logger.debug("downloaded track %s (%d bytes) to %s", track_id, size, target)
    return target


# -- choosing the generation ------------------------------------------------------------


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


def _check_not_expired(track: Track, track_id: str, generation: Generation) -> None:
    expired_at = generation.expired_at
    if expired_at is None:
        return
    if expired_at.tzinfo is None:
        expired_at = expired_at.replace(tzinfo=timezone.utc)
    if expired_at <= _now():
        raise LinkExpiredError(
            f"the download link of track {track_id} ({_label(generation)}) expired at "
            f"{expired_at.isoformat()}; generate it again to download it",
            track=track,
        )


def _download_request(track_id: str, generation: Generation, timeout: float | None) -> Request:
    """A GET of the pre-signed URL: no credentials, redirects followed, no compression."""
    url = generation.url
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InvalidRequestError(
            "track",
            f"the done generation {_label(generation)} of track {track_id} has no "
            "http(s) download url",
        )
    # identity: content-length then counts the bytes written, not compressed ones.
    headers = {"accept-encoding": "identity"}
    return Request("GET", url, headers=headers, timeout=timeout, follow_redirects=True)


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
            for _ in range(100):
                name = f".{self.target.name}.{secrets.token_hex(6)}.part"
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


async def _fetch_to(
    transport: Transport,
    request: Request,
    target: pathlib.Path,
    track: Track,
    track_id: str,
    chunk_size: int,
) -> int:
    """Stream ``request``'s body into ``target`` atomically; return the number of bytes."""
    part = _PartFile(target)
    try:
        await anyio.to_thread.run_sync(part.open)
        async with transport.stream(request) as response:
            await _raise_for_status(response, track, track_id)
            size = await _copy(response, part, chunk_size)
        await anyio.to_thread.run_sync(part.commit)
        return size
    finally:
        await _discard(part)


async def _copy(response: StreamResponse, part: _PartFile, chunk_size: int) -> int:
    """Write the body to ``part`` as it arrives, checking it against content-length."""
    expected = _content_length(response.headers)
    received = 0
    async for chunk in response.aiter_bytes(chunk_size):
        received += len(chunk)
        if expected is not None and received > expected:
            break
        await anyio.to_thread.run_sync(part.write, chunk)
    if expected is not None and received > expected:
        raise TransportError(f"download longer than its content-length ({expected} bytes)")
    if expected is not None and received < expected:
        raise TransportError(f"download incomplete: got {received} of {expected} bytes")
    return received


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


async def _raise_for_status(response: StreamResponse, track: Track, track_id: str) -> None:
    if 200 <= response.status < 300:
        return
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk[: _ERROR_BODY_LIMIT - len(content)]
        if len(content) >= _ERROR_BODY_LIMIT:
            break
    raise _download_error(response.status, response.headers, bytes(content), track, track_id)


def _download_error(
    status: int, headers: Mapping[str, str], content: bytes, track: Track, track_id: str
) -> MubertError:
    """``LinkExpiredError`` when the answer says the link expired, else the ``APIError``."""
    if status == 410 or (status in (403, 404) and b"expired" in content.lower()):
        return LinkExpiredError(
            f"the download link of track {track_id} has expired (HTTP {status}); "
            "generate it again to download it",
            track=track,
        )
    return error_from_response(status, headers, _s3_as_json(content))


def _s3_as_json(content: bytes) -> bytes:
    """An S3-style XML error (``<Error><Code>..</Code><Message>..</Message>``) as JSON."""
    if b"<Error>" not in content[:1000]:
        return content
    fields = {
        name.decode().lower(): value.decode("utf-8", "replace").strip()
        for name, value in _S3_FIELD.findall(content)
    }
    return msgspec.json.encode(fields) if fields else content
