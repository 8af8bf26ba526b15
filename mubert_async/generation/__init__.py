"""The generation engine: waiting, the concurrency limit, batches, reconciliation, downloads.

``tracks.wait``, ``tracks.generate``, ``tracks.generate_many`` and
``tracks.download`` are its public face; ``PollPolicy`` tunes how waits poll. The engine
itself (``_engine.GenerationEngine``, ``_limiter.GenerationLimiter``,
``_polling.GenerationTimes``) is private: importable from those modules, not promised.
"""

from ._batch import BatchProgress, GenerationRun, ProgressCallback
from ._engine import DEFAULT_WAIT_TIMEOUT
from ._polling import PollPolicy
from ._reconcile import ReconcilePolicy

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "BatchProgress",
    "GenerationRun",
    "PollPolicy",
    "ProgressCallback",
    "ReconcilePolicy",
]
