"""Progress bars for batches (the optional ``progress`` extra: tqdm)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidRequestError
from ._batch import BatchProgress, ProgressCallback

__all__ = ["progress_callback"]


class _Bar:
    """A tqdm bar (terminal or notebook, as ``tqdm.auto`` picks) fed by BatchProgress."""

    def __init__(self) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise InvalidRequestError(
                "progress", "a progress bar needs tqdm: pip install 'mubert-async[progress]'"
            ) from None
        self._bar: Any = tqdm(total=None, unit="track", desc="generating", dynamic_ncols=True)
        self._shown = 0

    def __call__(self, progress: BatchProgress) -> None:
        bar = self._bar
        if progress.total is not None and bar.total != progress.total:
            bar.total = progress.total
            bar.refresh()
        finished = progress.done + progress.failed
        if finished != self._shown:
            bar.set_postfix(failed=progress.failed, in_flight=progress.in_flight, refresh=False)
            bar.update(finished - self._shown)
            self._shown = finished
        if progress.total is not None and finished >= progress.total:
            bar.close()


def progress_callback(progress: bool | ProgressCallback | None) -> ProgressCallback | None:
    """The callback for ``generate_many(progress=...)``: True draws a tqdm bar."""
    if progress is True:
        return _Bar()
    if progress is None or progress is False:
        return None
    if not callable(progress):
        raise InvalidRequestError("progress", "must be True, False or a callable")
    return progress
