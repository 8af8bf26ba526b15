"""Everything the command line writes (through the redactor): tables, key/value blocks, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any, Protocol, TypeVar

import msgspec

from .._redaction import Redactor

__all__ = ["Output"]

T = TypeVar("T")


class _Writer(Protocol):
    def __call__(self, text: str, *, err: bool) -> None: ...


def _plain_write(text: str, *, err: bool) -> None:
    stream: IO[str] = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


class Output:
    """Writes results to stdout and messages to stderr, always through the redactor.

    In JSON mode (``--json``) stdout carries exactly one JSON document per command
    and the human-readable lines are left out; messages still go to stderr, and
    errors there are JSON objects too. ``quiet`` (``--quiet``) drops the notes on
    stderr, never the errors.
    """

    def __init__(self, redactor: Redactor, *, json_mode: bool = False) -> None:
        self.redactor = redactor
        self.json_mode = json_mode
        self.quiet = False
        self._writer: _Writer = _plain_write

    def use_writer(self, writer: _Writer | None) -> None:
        """Route lines through ``writer`` (a progress bar's ``write``), or back to plain writes."""
        self._writer = writer if writer is not None else _plain_write

    def line(self, text: str = "") -> None:
        """A line of human-readable output on stdout (not in JSON mode)."""
        if not self.json_mode:
            self._writer(self.redactor.text(text), err=False)

    def note(self, text: str) -> None:
        """A message on stderr (in every mode but quiet)."""
        if not self.quiet:
            self._writer(self.redactor.text(text), err=True)

    def error(self, text: str, *, kind: str | None = None, exit_code: int | None = None) -> None:
        """``error: [<kind>: ]<text>`` on stderr; in JSON mode ``{"error": {...}}`` on one line.

        The JSON object has ``type`` (``kind``), ``message`` and ``exit_code`` (None
        for an error that does not end the command).
        """
        if self.json_mode:
            fields = {"type": kind, "message": text, "exit_code": exit_code}
            document = self.redactor.data({"error": fields})
            self._writer(json.dumps(document, ensure_ascii=False), err=True)
        else:
            shown = f"{kind}: {text}" if kind else text
            self._writer(self.redactor.text(f"error: {shown}"), err=True)

    def json(self, value: Any) -> None:
        """``value`` (models, lists, dicts) as one JSON document on stdout."""
        document = self.redactor.data(msgspec.to_builtins(value, str_keys=True))
        self._writer(json.dumps(document, indent=2, ensure_ascii=False), err=False)

    def show(self, value: T, render: Callable[[Output, T], None]) -> None:
        """A command's result: ``value`` as the JSON document, else as ``render`` writes it."""
        if self.json_mode:
            self.json(value)
        else:
            render(self, value)

    def result(self, document: Any, text: str) -> None:
        """A command's result: ``document`` as the JSON document, else ``text`` as a line."""
        if self.json_mode:
            self.json(document)
        else:
            self.line(text)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Rows under a header, columns aligned; ``(none)`` for no rows."""
        if self.json_mode:
            return
        text = self.redactor.text  # before measuring: a masked value is shorter
        cells = [[text(_cell(value)) for value in row] for row in rows]
        if not cells:
            self.line("(none)")
            return
        widths = [len(h) for h in headers]
        for row in cells:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        for row in [list(headers), *cells]:
            self.line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    def fields(self, pairs: Iterable[tuple[str, Any]]) -> None:
        """``name: value`` lines, names aligned; pairs whose value is None are left out."""
        text = self.redactor.text
        shown = [(name, text(_cell(value))) for name, value in pairs if value is not None]
        width = max((len(name) for name, _ in shown), default=0)
        for name, value in shown:
            self.line(f"{name + ':':<{width + 1}} {value}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    text = str(value)
    return " ".join(text.split()) if any(c in text for c in "\r\n\t") else text
