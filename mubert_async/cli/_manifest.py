"""``mubert batch``: reading the JSON Lines input and keeping the resumable manifest.

The manifest (``DIR/manifest.jsonl``) has one JSON object per input line::

    {"line": 3, "request": {...}, "status": "ok", "track_id": "...", "file": "....mp3",
     "error_type": null, "error_message": null, "sent_at": null,
     "updated_at": "2025-01-01T12:00:00Z"}

``status`` is ``sending`` (the create was sent at ``sent_at``, no answer yet),
``created`` (the create returned ``track_id``), ``ok`` (``file``, relative to DIR,
is saved) or ``error``. While a batch runs, an entry is appended, flushed and
fsynced at every step of a line (write-ahead: an interrupted run loses no track
id); at the end the manifest is rewritten with exactly one entry per input line,
in line order. When reading it, the last entry for a line wins.
"""

from __future__ import annotations

import json
import os
import pathlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import InvalidRequestError
from ..models import TrackRequest
from ._files import write_atomic

__all__ = [
    "MANIFEST_NAME",
    "REQUEST_FIELDS",
    "BatchLine",
    "Manifest",
    "make_entry",
    "now_iso",
    "read_batch_file",
]

MANIFEST_NAME = "manifest.jsonl"

REQUEST_FIELDS: tuple[str, ...] = TrackRequest.__struct_fields__
"""The fields a batch line may have: those of ``tracks.create``."""

_RAW_LIMIT = 1000


@dataclass(frozen=True)
class BatchLine:
    """One request line of the input: the request, or why it is not one."""

    line: int
    data: dict[str, Any] | str
    """The request's fields (defaults applied), or the raw text of a line that is not JSON."""
    request: TrackRequest | None = None
    error: InvalidRequestError | None = None


def _parse_line(
    number: int, text: str, base_dir: pathlib.Path, defaults: dict[str, Any]
) -> BatchLine:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raw = text if len(text) <= _RAW_LIMIT else text[:_RAW_LIMIT] + "..."
        return BatchLine(number, raw, error=InvalidRequestError("line", f"not JSON: {exc}"))
    if not isinstance(data, dict):
        return BatchLine(
            number,
            text[:_RAW_LIMIT],
            error=InvalidRequestError("line", "must be a JSON object of request fields"),
        )
    fields = {**{k: v for k, v in defaults.items() if v is not None}, **data}
    unknown = sorted(set(fields) - set(REQUEST_FIELDS))
    if unknown:
        rule = f"unknown field(s) {', '.join(unknown)}; use {', '.join(REQUEST_FIELDS)}"
        return BatchLine(number, fields, error=InvalidRequestError("line", rule))
    if "duration" not in fields:
        rule = "has no duration (give it in the line or with --duration)"
        return BatchLine(number, fields, error=InvalidRequestError("duration", rule))
    arguments = dict(fields)
    image = arguments.get("image")
    if isinstance(image, str):  # relative to the batch file, not the working directory
        arguments["image"] = str(base_dir / os.path.expanduser(image))
    try:
        request = TrackRequest(**arguments)
    except InvalidRequestError as error:
        return BatchLine(number, fields, error=error)
    except TypeError as error:
        return BatchLine(number, fields, error=InvalidRequestError("line", str(error)))
    return BatchLine(number, fields, request=request)


def read_batch_file(path: pathlib.Path, defaults: dict[str, Any]) -> list[BatchLine]:
    """Every non-blank line of the JSON Lines file at ``path``, parsed and checked.

    Line numbers count from 1 and include blank lines, so they match an editor's.
    ``defaults`` (``duration``, ``format``) apply to lines that do not set them.
    """
    text = path.read_text(encoding="utf-8-sig")
    base_dir = path.resolve().parent
    return [
        _parse_line(number, line.strip(), base_dir, defaults)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def now_iso() -> str:
    """The current UTC time, ISO 8601 with a ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Manifest:
    """The manifest of an output directory: what each line of the batch became."""

    def __init__(self, out_dir: pathlib.Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / MANIFEST_NAME
        self.entries: dict[int, dict[str, Any]] = {}

    def load(self) -> None:
        """Read the entries already there (unreadable lines are ignored: a crash may cut one)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for raw in text.splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("line"), int):
                self.entries[entry["line"]] = entry

    def done(self, line: BatchLine) -> dict[str, Any] | None:
        """The earlier ok entry of ``line`` for the same request, if its file still exists."""
        entry = self.entries.get(line.line)
        if (
            entry is None
            or entry.get("status") != "ok"
            or entry.get("request") != line.data
            or not isinstance(entry.get("file"), str)
        ):
            return None
        return entry if (self.out_dir / entry["file"]).is_file() else None

    def resume(
        self, line: BatchLine, *, retry_failed: bool = False
    ) -> tuple[str | None, str | None]:
        """``(track_id, sent_at)`` an earlier run left for ``line`` (same request), or Nones.

        A track whose generation failed on the server is given up (a new one is
        created) only with ``retry_failed``.
        """
        entry = self.entries.get(line.line)
        if entry is None or entry.get("request") != line.data:
            return None, None
        track_id, sent_at = entry.get("track_id"), entry.get("sent_at")
        if retry_failed and entry.get("error_type") == "GenerationFailedError":
            return None, None
        return (
            track_id if isinstance(track_id, str) else None,
            sent_at if isinstance(sent_at, str) and not track_id else None,
        )

    def track_ids(self) -> set[str]:
        """Every track id the manifest holds (tracks of other lines are never adopted)."""
        return {e["track_id"] for e in self.entries.values() if isinstance(e.get("track_id"), str)}

    def record(self, entry: dict[str, Any]) -> None:
        """Keep ``entry`` and append it to the manifest on disk at once (flushed, fsynced)."""
        self.entries[entry["line"]] = entry
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def rewrite(self, lines: list[BatchLine]) -> None:
        """Replace the manifest by one entry per line of the input, in line order."""
        kept = [self.entries[b.line] for b in lines if b.line in self.entries]
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept)
        write_atomic(self.path, text)


def make_entry(
    line: BatchLine,
    *,
    status: str | None = None,
    track_id: str | None = None,
    file: str | None = None,
    error: dict[str, Any] | None = None,
    sent_at: str | None = None,
) -> dict[str, Any]:
    """A manifest entry for ``line``: ``status`` (default: ``error`` with an error, else ``ok``)."""
    return {
        "line": line.line,
        "request": line.data,
        "status": status or ("error" if error else "ok"),
        "track_id": track_id,
        "file": file,
        "error_type": error.get("type") if error else None,
        "error_message": error.get("message") if error else None,
        "sent_at": sent_at,
        "updated_at": now_iso(),
    }
