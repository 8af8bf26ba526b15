"""The generation engine: waiting, the concurrency limit, batches, reconciliation, downloads.

``tracks.wait``, ``tracks.generate``, ``tracks.generate_many`` and
``tracks.download`` are its public face; ``PollPolicy`` tunes how waits poll.
"""

from __future__ import annotations

from ._batch import BatchProgress, GenerationRun, ProgressCallback
from ._engine import DEFAULT_WAIT_TIMEOUT, GenerationEngine
from ._limiter import GenerationLimiter
from ._polling import GenerationTimes, PollPolicy
from ._reconcile import ReconcilePolicy

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "BatchProgress",
    "GenerationEngine",
    "GenerationLimiter",
    "GenerationRun",
    "GenerationTimes",
    "PollPolicy",
    "ProgressCallback",
    "ReconcilePolicy",
]
