"""Which of two states of a track is newer: the order deliveries are applied in.

Mubert posts the whole track model whenever one of its generations changes state,
without a sequence number, and deliveries may be repeated or arrive out of order.
A state is ranked by its newest generation (the one ``Track.status`` describes):

1. that generation's ``created_at`` (a later generation supersedes earlier ones);
2. its status: ``processing`` (or a status this SDK does not know) before the final
   ``done`` and ``failed``;
3. its ``generated_at``;
4. how many generations the track has.

Missing timestamps rank lowest. A delivery is applied only when its rank is strictly
higher than that of the state already known: an equal rank is a duplicate, a lower one
is out of order, and neither changes anything. So a final status is never replaced by
a late ``processing``, and once a generation is done, a second "done" of the same
generation is ignored. ``rank_numbers`` writes a rank as whole numbers (timestamps in
microseconds since the epoch) that compare the same way, for stores that compare them
(the Redis relay's script).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..models import GenerationStatus, Track
from ..models._tracks import as_aware

__all__ = ["Progress", "is_final", "progress", "rank_numbers"]

Progress = tuple[datetime, int, datetime, int]
"""A track state's rank: compare with ``<``; see the module's documentation."""

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_FINAL = frozenset({GenerationStatus.DONE.value, GenerationStatus.FAILED.value})


def _moment(value: datetime | None) -> datetime:
    return _EARLIEST if value is None else as_aware(value)


def progress(track: Track) -> Progress:
    """The rank of ``track``'s state: a later state has a higher rank."""
    generation = track.generation
    count = len(track.generations or ())
    if generation is None:
        return (_EARLIEST, -1, _EARLIEST, count)
    status_rank = 1 if generation.status in _FINAL else 0
    return (
        _moment(generation.created_at),
        status_rank,
        _moment(generation.generated_at),
        count,
    )


def rank_numbers(rank: Progress) -> tuple[int, int, int, int]:
    """``rank`` as whole numbers that compare element by element as ``rank`` does."""
    created, status, generated, count = rank
    return ((created - _EPOCH) // _MICROSECOND, status, (generated - _EPOCH) // _MICROSECOND, count)


def is_final(track: Track) -> bool:
    """Whether ``track``'s newest generation has finished (``done`` or ``failed``)."""
    return track.status in _FINAL
