"""``-o/--out``: one meaning for every command, and ``--force``.

``-o PATH`` is a *file* when PATH ends in ``.mp3`` or ``.wav`` (any case) and is not
an existing directory; otherwise it is a *directory*, created if missing, where each
track is saved as ``<track id>.<format>``. A file's suffix is its format: it must
agree with ``--format`` (and, without ``--format``, picks it), so the bytes always
match the name. An existing file is never replaced without ``--force``.
``generate -n N -o song.mp3`` with N > 1 writes ``song-1.mp3`` ... ``song-N.mp3``.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from ._context import CliError

__all__ = ["OutTarget", "force_option", "make_out_dir", "out_option", "out_target"]

F = TypeVar("F", bound=Callable[..., Any])

_AUDIO_SUFFIXES = (".mp3", ".wav")


def make_out_dir(out: pathlib.Path) -> pathlib.Path:
    """``out`` as an existing directory (created with its parents if missing)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot use {str(out)!r} as the output directory: {exc.strerror}") from None
    return out


@dataclass(frozen=True)
class OutTarget:
    """Where ``-o`` points: a directory, or a file whose suffix is its format."""

    path: pathlib.Path
    is_file: bool

    @property
    def format(self) -> str | None:
        """The format a file target's suffix names (None for a directory)."""
        return self.path.suffix.lower().removeprefix(".") if self.is_file else None

    @property
    def directory(self) -> pathlib.Path:
        """The directory the files go to."""
        return self.path.parent if self.is_file else self.path

    def files(self, count: int) -> list[pathlib.Path]:
        """The ``count`` file paths of a file target (numbered ``-1``, ``-2``... when several)."""
        if count == 1:
            return [self.path]
        stem, suffix = self.path.stem, self.path.suffix
        return [self.path.with_name(f"{stem}-{n}{suffix}") for n in range(1, count + 1)]

    def dest(self, index: int, count: int) -> pathlib.Path:
        """Where item ``index`` of ``count`` is saved: its file, or the directory."""
        return self.files(count)[index] if self.is_file else self.path

    def refuse_overwrite(self, count: int, force: bool) -> None:
        """Raise when a file target already exists and ``--force`` was not given."""
        if not self.is_file or force:
            return
        existing = [p for p in self.files(count) if p.exists()]
        if existing:
            raise CliError(f"{str(existing[0])!r} exists; give --force to overwrite it")


def out_target(
    out: pathlib.Path, *, format: str | None = None, allow_file: bool = True
) -> OutTarget:
    """Read ``-o`` as a file or a directory (the directory is made); check the format.

    ``format`` is ``--format`` (None: not given). Raises ``CliError`` when a file's
    suffix disagrees with it, or for a file where only a directory will do.
    """
    raw = str(out)
    is_file = (
        out.suffix.lower() in _AUDIO_SUFFIXES
        and not out.is_dir()
        and not raw.endswith(("/", os.sep))
    )
    if not is_file:
        return OutTarget(make_out_dir(out), is_file=False)
    if not allow_file:
        raise CliError(
            f"-o {raw!r} names a file; this command writes a directory (drop the suffix)"
        )
    target = OutTarget(out, is_file=True)
    if format is not None and format != target.format:
        raise CliError(
            f"-o {raw!r} is a .{target.format} file but --format is {format}; make them agree"
        )
    make_out_dir(out.parent)
    return target


def out_option(help: str, *, default: str = ".") -> Callable[[F], F]:
    """``-o/--out PATH`` with the command's own help text."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(path_type=pathlib.Path),
        default=default,
        show_default=True,
        help=help,
    )


def force_option(func: F) -> F:
    """``--force``: replace an existing file named by ``-o``."""
    option = click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
    return option(func)
