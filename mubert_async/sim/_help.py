"""``mubert sim --help`` in the style of the rest of ``mubert`` (click's layout, from argparse)."""

from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Iterable

from ..testing._audio import mp3_is_music

__all__ = ["ClickStyleHelpFormatter", "mp3_note"]

_DEFAULT = re.compile(r"\s*\(default:? ([^()]*)\)$")
_ARGPARSE_HELP = "show this help message and exit"


class ClickStyleHelpFormatter(argparse.HelpFormatter):
    """``Usage: PROG [OPTIONS]``, capitalised headings, sentences, ``[default: X]``, 2-space text.

    Help strings stay as argparse writes them (``"port (default 8080)"``); this
    formatter shows them the way click shows the other commands' options.
    """

    def __init__(self, prog: str) -> None:
        width = min(100, shutil.get_terminal_size().columns) - 2
        super().__init__(prog, indent_increment=2, max_help_position=32, width=width)

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        """The usage line as click writes it: ``Usage: PROG [OPTIONS]``."""
        super().add_usage(usage or "%(prog)s [OPTIONS]", actions, groups, prefix or "Usage: ")

    def start_section(self, heading: str | None) -> None:
        """A section, its heading capitalised (``Options:``, ``Server:``)."""
        super().start_section(heading[:1].upper() + heading[1:] if heading else heading)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return super()._fill_text(text, width - 2, indent + "  ")

    def _expand_help(self, action: argparse.Action) -> str:
        text = super()._expand_help(action)
        if text == _ARGPARSE_HELP:
            return "Show this message and exit."
        default = _DEFAULT.search(text)
        if default is not None:
            text = text[: default.start()]
        text = text[:1].upper() + text[1:]
        if text and text[-1] not in ".?!":
            text += "."
        return text + (f"  [default: {default.group(1)}]" if default else "")


def mp3_note() -> str:
    """Whether the simulator's MP3s carry music here (``lameenc`` installed) or are silent."""
    if mp3_is_music():
        return "MP3 files are real MP3 (encoded with lameenc)."
    return (
        "MP3 files are silent frames here: lameenc is not installed "
        '(pip install "mubert-async[sim]" for real MP3 music); WAV files are music either way.'
    )
