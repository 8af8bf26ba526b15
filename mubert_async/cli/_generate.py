"""Generate many tracks and download each as soon as it is done (``generate`` and ``batch``)."""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from .._redaction import error_message
from ..errors import GenerationFailedError, InvalidRequestError, MubertError
from ..generation import BatchProgress
from ..models import Track, TrackRequest
from ._output import Output

if TYPE_CHECKING:
    from .. import MubertClient

__all__ = [
    "EXIT_API",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "Outcome",
    "Progress",
    "exit_code_for",
    "generate_and_download",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_API = 3
EXIT_PARTIAL = 4

_DOWNLOADS_AT_ONCE = 8


@dataclass(frozen=True)
class Outcome:
    """What became of one request: its track and file, or the error that stopped it."""

    index: int
    request: TrackRequest
    track: Track | None = None
    file: pathlib.Path | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the file was written."""
        return self.error is None and self.file is not None

    @property
    def track_id(self) -> str | None:
        """The track's id, also for a generation that failed when it is known."""
        if self.track is not None:
            return self.track.id
        failed = getattr(self.error, "track", None)
        return failed.id if isinstance(failed, Track) else None

    def error_fields(self) -> dict[str, Any]:
        """``{"type": ..., "message": ...}`` of the error, or an empty dict."""
        if self.error is None:
            return {}
        return {"type": type(self.error).__name__, "message": error_message(self.error)}


def exit_code_for(failures: Sequence[BaseException | None], succeeded: int) -> int:
    """0 when nothing failed; 4 when some failed and some succeeded; else the failure's code.

    When every item failed the code is 2 if each failure was an invalid request
    (nothing was sent), else 3.
    """
    errors = [e for e in failures if e is not None]
    if not errors:
        return EXIT_OK
    if succeeded:
        return EXIT_PARTIAL
    if all(isinstance(e, InvalidRequestError) for e in errors):
        return EXIT_USAGE
    return EXIT_API


class Progress:
    """A tqdm bar on stderr counting finished items (disabled: does nothing).

    While it is shown, the output's lines are written above it (``tqdm.write``).
    """

    def __init__(self, out: Output, total: int, *, enabled: bool, desc: str) -> None:
        self._out = out
        self._bar: Any = None
        self._in_flight = 0
        self._failed = 0
        if enabled and total > 0:
            try:
                from tqdm import tqdm
            except ImportError:  # the bar is a nicety: work on without it
                return
            bar = tqdm(total=total, unit="track", desc=desc, file=sys.stderr, dynamic_ncols=True)
            self._bar = bar

            def write(text: str, *, err: bool) -> None:
                bar.write(text, file=sys.stderr if err else sys.stdout)

            out.use_writer(write)

    def _postfix(self) -> None:
        shown = {"in_flight": self._in_flight}
        if self._failed:
            shown["failed"] = self._failed
        self._bar.set_postfix(shown, refresh=False)

    def batch(self, progress: BatchProgress) -> None:
        """Follow the run's generations in flight (a ``generate_many`` progress callback)."""
        if self._bar is not None and progress.in_flight != self._in_flight:
            self._in_flight = progress.in_flight
            self._postfix()
            self._bar.refresh()

    def advance(self, failed: bool) -> None:
        """One item finished (saved, or failed)."""
        if self._bar is not None:
            self._failed += int(failed)
            self._postfix()
            self._bar.update(1)

    def close(self) -> None:
        """Finish the bar and restore plain output."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._out.use_writer(None)


async def generate_and_download(
    client: MubertClient,
    requests: Sequence[TrackRequest],
    dest: Callable[[int], pathlib.Path],
    *,
    concurrency: int | None,
    timeout: float | None,
    progress: Progress,
    on_outcome: Callable[[Outcome], None],
) -> list[Outcome]:
    """Generate every request with ``generate_many``, downloading track ``i`` to ``dest(i)``.

    ``dest(i)`` is a directory (the file is named ``<track id>.<format>``) or a file.

    Downloads start as soon as their track is done, a few at a time, while the
    other generations go on. ``on_outcome`` is called once per request, as it
    finishes; the outcomes are returned in input order.
    """
    outcomes: dict[int, Outcome] = {}
    downloads = anyio.Semaphore(_DOWNLOADS_AT_ONCE)

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.index] = outcome
        progress.advance(not outcome.ok)
        on_outcome(outcome)

    async def download(index: int, request: TrackRequest, track: Track) -> None:
        async with downloads:
            try:
                path = await client.tracks.download(
                    track, dest(index), format=request.format, bitrate=request.bitrate
                )
            except (MubertError, OSError) as error:
                finish(Outcome(index, request, track=track, error=error))
            else:
                finish(Outcome(index, request, track=track, file=path))

    run = client.tracks.generate_many(
        requests, concurrency=concurrency, timeout=timeout, progress=progress.batch
    )
    async with anyio.create_task_group() as group, run:
        async for result in run:
            if result.track is not None and result.error is None:
                group.start_soon(download, result.index, requests[result.index], result.track)
            else:
                error = result.error or GenerationFailedError("generation ended without a track")
                finish(Outcome(result.index, requests[result.index], error=error))
    return [outcomes[i] for i in sorted(outcomes)]
