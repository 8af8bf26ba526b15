"""``mubert batch``'s runner: write-ahead creates, resumed waits and reconciled lost creates.

Every line goes through steps that are each recorded in the manifest (flushed and
fsynced) before the next one starts:

1. ``sending``, with ``sent_at``: written just before the create is sent;
2. ``created``, with ``track_id``: written the moment the create returns;
3. ``ok`` (the file is saved) or ``error``.

A line with a recorded track id is never created again: a resumed run waits for
that track and downloads it. A line whose create may have reached the server
without an answer (the run was interrupted, the connection was reset, the server
answered 5xx or garbage, the request timed out) is *reconciled* before anything is
created for it again: the customer's tracks made since the line's ``sent_at`` are
read, newest first, and the oldest one whose parameters match and that no line of
the manifest holds is adopted. Only when there is none is the line created again.
Reconciling happens while no create of this run is in flight, so a track whose
create is still being answered is never taken for a lost one.
"""

from __future__ import annotations

import pathlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

import anyio
import msgspec

from .._redaction import error_message
from ..errors import APIError, ConcurrencyLimitError, InvalidRequestError, MubertError
from ..models import Track, TrackRequest
from ._generate import Outcome, Progress
from ._manifest import BatchLine, Manifest, make_entry, now_iso

if TYPE_CHECKING:
    from .. import MubertClient

__all__ = ["RECONCILE_SLACK", "BatchRunner", "Job", "LostCreateError", "matches"]

RECONCILE_SLACK = 30.0
"""Seconds before a line's ``sent_at`` that a track it adopts may have been created at
(the server's clock may run behind this machine's)."""

_ROUNDS = 4
"""Rounds of reconcile-then-create in one run; a line still lost after them is left to
the next run to reconcile."""
_INITIAL_CONCURRENCY = 8
_DURATION_SLACK = 2
_PAUSE = 0.5
_MAX_PAUSE = 8.0
_MATCHED_FIELDS = ("bpm", "key", "format", "bitrate", "intensity", "mode")


class LostCreateError(MubertError):
    """A create whose outcome is unknown (it may have made a track); the next run reconciles it."""


@dataclass
class Job:
    """One line to finish: its recorded track id, or when its create was sent with no answer."""

    index: int
    line: BatchLine
    request: TrackRequest
    track_id: str | None = None
    sent_at: str | None = None


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def matches(track: Track, request: TrackRequest) -> bool:
    """Whether ``track`` could be what ``request`` made (the API may round the duration)."""
    if track.playlist_index != request.playlist_index:
        return False
    if request.prompt is not None and track.prompt != request.prompt:
        return False  # (an image track may come back with a prompt the server wrote)
    if track.duration is not None and abs(track.duration - request.duration) > _DURATION_SLACK:
        return False
    for name in _MATCHED_FIELDS:
        wanted, got = getattr(request, name), getattr(track, name)
        if wanted is not None and got is not None and str(_plain(got)) != str(_plain(wanted)):
            return False
    return True


def _may_have_arrived(error: MubertError) -> bool:
    """False when the server surely made nothing (it refused with a 4xx, or nothing was sent)."""
    if isinstance(error, InvalidRequestError):
        return False
    return not (isinstance(error, APIError) and error.status is not None and error.status < 500)


_Step = Literal["track", "lost", "refused", "failed"]


class BatchRunner:
    """Finishes a batch's jobs: create or adopt each line's track, wait, download.

    ``on_outcome`` is called once per job as it finishes; every step is in the
    manifest before the next begins.
    """

    def __init__(
        self,
        client: MubertClient,
        manifest: Manifest,
        out_dir: pathlib.Path,
        *,
        concurrency: int | None,
        timeout: float | None,
        progress: Progress,
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        self._client = client
        self._manifest = manifest
        self._out_dir = out_dir
        self._timeout = timeout
        self._progress = progress
        self._on_outcome = on_outcome
        self._learning = concurrency is None
        self._limiter = anyio.CapacityLimiter(concurrency or _INITIAL_CONCURRENCY)
        self._claimed = manifest.track_ids()
        self.outcomes: dict[int, Outcome] = {}

    # -- outcomes ------------------------------------------------------------------

    def _finish(self, job: Job, outcome: Outcome) -> None:
        self.outcomes[job.index] = outcome
        self._progress.advance(not outcome.ok)
        self._on_outcome(outcome)

    def _fail(self, job: Job, error: BaseException, track: Track | None = None) -> None:
        # The manifest entry keeps ``sent_at`` of a lost create so the next run reconciles it.
        fields = {"type": type(error).__name__, "message": error_message(error)}
        self._manifest.record(
            make_entry(job.line, track_id=job.track_id, error=fields, sent_at=job.sent_at)
        )
        self._finish(job, Outcome(job.index, job.request, track=track, error=error))

    def _adopt(self, job: Job, track_id: str) -> None:
        job.track_id, job.sent_at = track_id, None
        self._claimed.add(track_id)
        self._manifest.record(make_entry(job.line, status="created", track_id=track_id))

    # -- steps ---------------------------------------------------------------------

    async def run(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Finish every job; the outcomes in job order."""
        pending = list(jobs)
        for _ in range(_ROUNDS):
            lost_before = [job for job in pending if job.track_id is None and job.sent_at]
            if lost_before and not await self._reconcile(lost_before):
                pending = [job for job in pending if job.index not in self.outcomes]
            lost: list[Job] = []
            async with anyio.create_task_group() as group:
                for job in pending:
                    group.start_soon(self._line, job, lost)
            pending = sorted(lost, key=lambda job: job.index)
            if not pending:
                break
        for job in pending:
            self._fail(job, LostCreateError("the create's outcome is unknown; run again to settle"))
        return [self.outcomes[i] for i in sorted(self.outcomes)]

    async def _line(self, job: Job, lost: list[Job]) -> None:
        pause = _PAUSE
        deadline = anyio.current_time() + (self._timeout or 900.0)
        while True:
            async with self._limiter:
                step: _Step = "track" if job.track_id is not None else await self._create(job)
                if step == "track":
                    await self._wait_and_download(job)
                    return
            if step == "lost":
                lost.append(job)
            if step != "refused":
                return
            if anyio.current_time() > deadline:
                self._fail(job, ConcurrencyLimitError("no generation slot freed in time"))
                return
            await anyio.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, _MAX_PAUSE)

    async def _create(self, job: Job) -> _Step:
        job.sent_at = now_iso()
        self._manifest.record(make_entry(job.line, status="sending", sent_at=job.sent_at))
        arguments = msgspec.structs.asdict(job.request)
        try:
            track = await self._client.tracks.create(**arguments)
        except ConcurrencyLimitError as error:
            job.sent_at = None
            if self._learning and error.limit:
                self._limiter.total_tokens = max(1, error.limit)
            return "refused"
        except MubertError as error:
            if _may_have_arrived(error):
                return "lost"
            job.sent_at = None
            self._fail(job, error)
            return "failed"
        self._adopt(job, track.id)
        return "track"

    async def _wait_and_download(self, job: Job) -> None:
        assert job.track_id is not None
        track: Track | None = None
        try:
            track = await self._client.tracks.wait(job.track_id, timeout=self._timeout)
            path = await self._client.tracks.download(
                track, self._out_dir, format=job.request.format, bitrate=job.request.bitrate
            )
        except (MubertError, OSError) as error:
            failed = getattr(error, "track", None)
            self._fail(job, error, track or (failed if isinstance(failed, Track) else None))
            return
        self._manifest.record(make_entry(job.line, track_id=job.track_id, file=path.name))
        self._finish(job, Outcome(job.index, job.request, track=track, file=path))

    async def _reconcile(self, lost: list[Job]) -> bool:
        """Adopt the tracks lost creates made; False when the tracks could not be read."""
        starts = {job.index: _moment(job.sent_at or now_iso()) for job in lost}
        since = min(starts.values()) - timedelta(seconds=RECONCILE_SLACK)
        found: list[Track] = []
        try:
            async for track in self._client.tracks.iter(order="desc"):
                if track.created_at is not None and _aware(track.created_at) < since:
                    break
                if track.id not in self._claimed:
                    found.append(track)
        except MubertError as error:
            for job in lost:
                self._fail(job, error)
            return False
        found.reverse()  # oldest first: the first track made after the line was sent
        for job in sorted(lost, key=lambda job: starts[job.index]):
            earliest = starts[job.index] - timedelta(seconds=RECONCILE_SLACK)
            match = next(
                (
                    track
                    for track in found
                    if matches(track, job.request)
                    and (track.created_at is None or _aware(track.created_at) >= earliest)
                ),
                None,
            )
            if match is not None:
                found.remove(match)
                self._adopt(job, match.id)
            else:
                job.sent_at = None  # it never arrived: create it afresh
        return True
