"""``client.tracks``: generate, edit, find and list the customer's tracks."""

from __future__ import annotations

import inspect
import os
import pathlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._base_client import path
from .._files import read_image
from .._retry import RetryPolicy
from .._validation import (
    MAX_DURATION,
    MIN_DURATION,
    check_bool,
    check_choice,
    check_int,
    check_list,
    check_path_id,
    check_playlist_index,
    check_text,
    check_timeout,
)
from ..errors import InvalidRequestError, _IncompleteTrack
from ..models import (
    Format,
    GenerationStatus,
    Instrument,
    Intensity,
    Mode,
    Page,
    Stem,
    Track,
    TrackRequest,
)
from ..models._decoding import ResponseDecoder
from ..transport import Multipart
from ._base import Resource, check_page, paginate

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._base_client import BaseClient
    from ..generation import GenerationRun, ProgressCallback
    from ..generation._engine import GenerationEngine
    from ..models._tracks import CreateFields

__all__ = ["Tracks", "track_id_of"]

_TRACK: ResponseDecoder[Track] = ResponseDecoder(Track)
_TRACK_PAGE: ResponseDecoder[Page[Track]] = ResponseDecoder(Page[Track], wrapped=False)


def track_id_of(track: Track | str, *, field: str = "track_id") -> str:
    """The id of ``track`` (a Track or its id), checked to be safe in a URL path."""
    return check_path_id(field, track.id if isinstance(track, Track) else track)


def _require_urls(track: Track) -> Track:
    """Reject a single-track answer whose done generation has no URL."""
    for generation in track.generations or ():
        if generation.status == GenerationStatus.DONE and not generation.url:
            raise _IncompleteTrack(
                f"malformed response: generation {generation.session_id!r} of track "
                f"{track.id!r} is done but has no url"
            )
    return track


def _options(**values: Any) -> dict[str, Any]:
    """The given generation options (bitrate, format, intensity, mode), checked."""
    return {name: check_choice(name, value) for name, value in values.items() if value is not None}


def _duration(value: Any) -> int:
    return check_int("duration", value, minimum=MIN_DURATION, maximum=MAX_DURATION)


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _create_signature(method: _Method) -> _Method:
    """Give a ``(self, **fields: Unpack[CreateFields])`` method the fields' real signature.

    Type checkers and IDEs read ``CreateFields``; ``help()`` and ``inspect.signature``
    show the same keyword parameters, made from the one runtime list, ``TrackRequest``.
    """
    self = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    fields = inspect.signature(TrackRequest).parameters.values()
    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fields)],
        return_annotation=Track,
    )
    return method


class Tracks(Resource):
    """Track generation (from a channel, a text prompt or an image), editing and lookup."""

    def __init__(self, client: BaseClient, engine: GenerationEngine) -> None:
        super().__init__(client)
        self._engine = engine

    @_create_signature
    async def create(self, **fields: Unpack[CreateFields]) -> Track:
        """Start generating a track; returns at once with its generation ``processing``.

        ``fields`` are ``TrackRequest``'s, as keyword arguments. Give exactly one of
        ``playlist_index``, ``prompt`` or ``image`` (bytes, a path or a binary file;
        PNG/JPEG/WEBP/BMP, 50 KB-10 MB). ``bpm`` and ``key`` go only with
        ``playlist_index``. A create is never retried once it may have reached the
        server, so it can never bill two tracks.
        """
        return await self._send(TrackRequest(**fields), "/public/tracks")

    @_create_signature
    async def record(self, **fields: Unpack[CreateFields]) -> Track:
        """Like ``create``, through the API's ``tracks/record`` endpoint."""
        return await self._send(TrackRequest(**fields), "/public/tracks/record")

    async def _send(self, request: TrackRequest, endpoint: str) -> Track:
        """A plain create: marked as under way, so no reconciliation can adopt its track."""
        async with self._engine.ledger.sending(request):
            return await self.submit(request, endpoint=endpoint)

    async def submit(
        self, request: TrackRequest, *, endpoint: str = "/public/tracks", retries: bool = True
    ) -> Track:
        """Send a prepared ``TrackRequest`` (JSON, or multipart when it has an image).

        ``retries=False`` sends it once: the engine repeats creates itself, within its
        time budget.
        """
        fields = request.fields()
        max_retries = None if retries else 0
        if request.image is None:
            track = await self._client._request_model(
                "POST", endpoint, _TRACK, json=fields, max_retries=max_retries
            )
        else:
            image = await read_image(request.image)
            form = Multipart(
                fields={name: str(value) for name, value in fields.items()},
                files={"image": image},
            )
            track = await self._client._request_model(
                "POST", endpoint, _TRACK, form=form, max_retries=max_retries
            )
        self._engine.ledger.remember(track.id)
        return _require_urls(track)

    async def recent_page(self, *, offset: int, limit: int) -> tuple[Page[Track], str | None]:
        """A page of the customer's tracks, newest first, and the server's ``Date`` header.

        Sent once (no retries): reconciliation reads the server's clock from the answer.
        """
        params = {"offset": offset, "limit": limit, "order": "desc", "order_by": "created_at"}
        response = await self._client._request(
            "GET", "/public/tracks", params=params, max_retries=0
        )
        return _TRACK_PAGE.decode(response.content), response.headers.get("date")

    @property
    def retry_policy(self) -> RetryPolicy:
        """The client's backoff policy."""
        return self._client.retry

    @property
    def request_timeout(self) -> float | None:
        """Seconds one HTTP request of the client may take (None: no limit)."""
        return self._client.timeout

    async def stored(
        self,
        *,
        duration: int,
        playlist_index: str | None = None,
        stream_id: int | None = None,
        bitrate: int | None = None,
        format: Format | str | None = None,
        intensity: Intensity | str | None = None,
        mode: Mode | str | None = None,
    ) -> Track:
        """A ready-made track from the license's track store (if the contract enables it).

        Give exactly one of ``playlist_index`` and ``stream_id``.
        """
        if (playlist_index is None) == (stream_id is None):
            raise InvalidRequestError(
                "playlist_index/stream_id", "exactly one of them must be given"
            )
        body: dict[str, Any] = {"duration": _duration(duration)}
        if playlist_index is not None:
            body["playlist_index"] = check_playlist_index(playlist_index)
        if stream_id is not None:
            body["stream_id"] = check_int("stream_id", stream_id, minimum=1)
        body.update(_options(bitrate=bitrate, format=format, intensity=intensity, mode=mode))
        return _require_urls(
            await self._client._request_model("POST", "/public/tracks/stored", _TRACK, json=body)
        )

    async def get(self, track_id: Track | str) -> Track:
        """The track with its generations' current status and URLs."""
        track = await self._client._request_model(
            "GET", path("/public/tracks/{}", track_id_of(track_id)), _TRACK
        )
        return _require_urls(track)

    async def get_by_session(self, session_id: str) -> Track:
        """The track whose ``session_id`` this is."""
        session_id = check_path_id("session_id", session_id)
        track = await self._client._request_model(
            "GET", path("/public/tracks/session/{}", session_id), _TRACK
        )
        return _require_urls(track)

    async def list(
        self,
        *,
        offset: int = 0,
        limit: int = 25,
        order: str | None = None,
        order_by: str | None = None,
    ) -> Page[Track]:
        """One page of the customer's tracks."""
        check_page(offset, limit)
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if order is not None:
            params["order"] = check_choice("order", order)
        if order_by is not None:
            params["order_by"] = check_text("order_by", order_by, max_length=64)
        return await self._client._request_model(
            "GET", "/public/tracks", _TRACK_PAGE, params=params
        )

    def iter(
        self,
        *,
        page_size: int = 100,
        order: str | None = None,
        order_by: str | None = None,
    ) -> AsyncIterator[Track]:
        """Every track of the customer, fetched page by page as the loop asks for more."""
        check_page(0, page_size, limit_name="page_size")
        if order is not None:
            check_choice("order", order)
        if order_by is not None:
            check_text("order_by", order_by, max_length=64)

        async def fetch(offset: int, limit: int) -> Page[Track]:
            return await self.list(offset=offset, limit=limit, order=order, order_by=order_by)

        return paginate(fetch, page_size)

    async def similar(
        self,
        track_id: Track | str,
        *,
        duration: int,
        bitrate: int | None = None,
        format: Format | str | None = None,
        intensity: Intensity | str | None = None,
        mode: Mode | str | None = None,
    ) -> Track:
        """Start generating a new track similar to ``track_id``."""
        track_id = track_id_of(track_id)
        body: dict[str, Any] = {"duration": _duration(duration)}
        body.update(_options(bitrate=bitrate, format=format, intensity=intensity, mode=mode))
        return _require_urls(
            await self._client._request_model(
                "POST", path("/public/tracks/{}/similar", track_id), _TRACK, json=body
            )
        )

    async def edit(
        self,
        track_id: Track | str,
        *,
        duration: int | None = None,
        bitrate: int | None = None,
        format: Format | str | None = None,
        intensity: Intensity | str | None = None,
        replace_stems: Sequence[Stem | str] | None = None,
        delete_stems: Sequence[Stem | str] | None = None,
        replace_instruments: Sequence[Instrument | str] | None = None,
        delete_instruments: Sequence[Instrument | str] | None = None,
    ) -> Track:
        """Start a new generation of ``track_id`` with changed parameters, stems or instruments."""
        track_id = track_id_of(track_id)
        body: dict[str, Any] = {}
        if duration is not None:
            body["duration"] = _duration(duration)
        body.update(_options(bitrate=bitrate, format=format, intensity=intensity))
        for name, values, kind in (
            ("replace_stems", replace_stems, "stem"),
            ("delete_stems", delete_stems, "stem"),
            ("replace_instruments", replace_instruments, "instrument"),
            ("delete_instruments", delete_instruments, "instrument"),
        ):
            if values is not None:
                body[name] = check_list(name, values, kind=kind)
        if not body:
            raise InvalidRequestError("edit", "give at least one change")
        return _require_urls(
            await self._client._request_model(
                "POST", path("/public/tracks/{}/edit", track_id), _TRACK, json=body
            )
        )

    # -- the generation engine -----------------------------------------------------

    async def wait(self, track: Track | str, *, timeout: float | None = None) -> Track:
        """Wait until the track's newest generation is done and return the track.

        Polls adaptively: first when the track is expected to be ready (learned from
        this customer's earlier generations), then backing off with jitter (see
        ``PollPolicy``). Raises ``GenerationFailedError`` if the generation failed
        and ``GenerationTimeoutError`` after ``timeout`` seconds (default 900).
        """
        if timeout is not None:
            check_timeout("timeout", timeout)
        if isinstance(track, str):
            track_id_of(track)
        return await self._engine.wait(self, track, timeout)

    async def generate(
        self, *, timeout: float | None = None, **create_fields: Unpack[CreateFields]
    ) -> Track:
        """Create a track and wait until it is done (``create`` + ``wait``).

        ``create_fields`` are ``create``'s keyword arguments (typed: a type checker or
        IDE flags ``promt=``). Takes a slot of the customer's concurrency limit for the
        whole generation; a concurrency 403 re-queues the request instead of failing it.
        ``timeout`` bounds the whole call: waiting for a slot, the create (retries and
        re-queues included) and the wait.
        """
        if timeout is not None:
            check_timeout("timeout", timeout)
        try:
            request = TrackRequest(**create_fields)
        except TypeError as error:
            raise InvalidRequestError("create_fields", str(error)) from None
        return await self._engine.generate(self, request, timeout)

    def generate_many(
        self,
        requests: Iterable[TrackRequest] | AsyncIterable[TrackRequest],
        *,
        concurrency: int | None = None,
        ordered: bool = False,
        timeout: float | None = None,
        progress: bool | ProgressCallback | None = None,
    ) -> GenerationRun:
        """Generate a track for every request, many at once; yield one result per request.

        ``async for result in client.tracks.generate_many(requests): ...`` yields a
        ``GenerationResult`` per request - ``result.track`` when done, else
        ``result.error`` - as they finish (``ordered=True``: in input order). It never
        raises for one item and never drops one: an exception from one item becomes
        its ``error``. Generations in flight plus results not yet taken never exceed
        ``concurrency`` (default: the client's limit), and a new create starts only
        while the loop waits for a result: a ``break`` with the run still referenced
        pauses it (nothing new is created; a later ``async for`` resumes it), while
        ``async with``, ``await run.aclose()``, cancelling or dropping the run cancels
        everything it started. ``requests`` may be a (lazy, even endless) sync or async
        iterable, read only as slots free up. A used-up quota stops all further creates
        and reports the remaining requests with that error. ``timeout`` bounds each
        item. ``progress=True`` shows a tqdm bar (extra ``progress``); a callable gets
        ``BatchProgress`` updates (one that raises is logged once and dropped).
        """
        from ..generation._batch import generate_many
        from ..generation._progress import progress_callback

        if concurrency is not None:
            check_int("concurrency", concurrency, minimum=1)
        ordered = check_bool("ordered", ordered)  # else only judged (truthy?) once running
        if timeout is not None:
            check_timeout("timeout", timeout)
        if not isinstance(requests, (Iterable, AsyncIterable)) or isinstance(
            requests, (str, bytes, TrackRequest)
        ):
            raise InvalidRequestError("requests", "must be an iterable of TrackRequest")
        return generate_many(
            self,
            self._engine,
            requests,
            concurrency=concurrency,
            ordered=ordered,
            timeout=timeout,
            progress=progress_callback(progress),
        )

    async def download(
        self,
        track: Track | str,
        dest: str | os.PathLike[str],
        *,
        format: Format | str | None = None,
        bitrate: int | None = None,
        timeout: float | None = None,
        stall_timeout: float = 30.0,
        max_bytes: int | None = None,
    ) -> pathlib.Path:
        """Download the track's newest done generation (matching ``format``/``bitrate``).

        Streams to a temporary file beside the target and renames it into place, so
        the target is either complete or untouched. ``dest`` may be a directory (the
        file is named ``<track id>.<format>``) or a file path. Raises
        ``LinkExpiredError`` when the download URL has expired.

        Bounded against hostile file hosts: ``timeout`` is the whole transfer's
        deadline (default: 120 s, or longer for a large ``max_bytes``),
        ``stall_timeout`` the longest wait for the next bytes, ``max_bytes`` the
        largest file accepted (default: twice what the duration takes at the
        bitrate, plus 1 MiB). Only https (http to loopback) and at most 5 redirects.
        """
        from ..generation._download import download_track

        if isinstance(dest, (str, os.PathLike)):
            try:  # a lone surrogate ("\ud800") has no file system encoding
                os.fsencode(dest)
            except (UnicodeEncodeError, TypeError):
                raise InvalidRequestError(
                    "dest", "must be a path the file system can encode"
                ) from None
        return await download_track(
            self,
            self._client.transport,
            track,
            dest,
            format=format,
            bitrate=bitrate,
            timeout=timeout,
            stall_timeout=stall_timeout,
            max_bytes=max_bytes,
            secrets=self._client._secrets,
        )
