"""Options and helpers shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..models import BITRATES, KEYS, Format, Intensity, Mode, StreamingType
from ._context import State

__all__ = [
    "BITRATE_CHOICES",
    "FORMAT_CHOICES",
    "INTENSITY_CHOICES",
    "KEY_CHOICES",
    "MODE_CHOICES",
    "OrderedGroup",
    "TYPE_CHOICES",
    "audio_options",
    "bitrate_value",
    "json_option",
    "pass_state",
]

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_CHOICES = tuple(m.value for m in Format)
BITRATE_CHOICES = tuple(str(b) for b in sorted(BITRATES))
INTENSITY_CHOICES = tuple(m.value for m in Intensity)
MODE_CHOICES = tuple(m.value for m in Mode)
TYPE_CHOICES = tuple(m.value for m in StreamingType)
KEY_CHOICES = KEYS


class OrderedGroup(click.Group):
    """A command group listing its commands in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names of the commands, in the order they were added."""
        return list(self.commands)


pass_state = click.make_pass_decorator(State)
"""Hand the run's ``State`` to a command as its first argument."""


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(State).json = True


def json_option(func: F) -> F:
    """``--json`` on a command itself (the same as the global ``mubert --json``)."""
    option = click.option(
        "--json",
        "json_flag",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print JSON on stdout (same as `mubert --json ...`).",
    )
    return option(func)


def bitrate_value(value: str | None) -> int | None:
    """The ``--bitrate`` choice as an int."""
    return int(value) if value is not None else None


def audio_options(*, with_mode: bool = True) -> Callable[[F], F]:
    """``--format``, ``--bitrate``, ``--intensity`` (and ``--mode``) of a generation."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--format",
                "format_",
                type=click.Choice(FORMAT_CHOICES),
                help="Audio format (default: the license's).",
            ),
            click.option(
                "--bitrate",
                type=click.Choice(BITRATE_CHOICES),
                help="Bitrate in kbps (default: the license's).",
            ),
            click.option(
                "--intensity",
                type=click.Choice(INTENSITY_CHOICES),
                help="How many instruments play at once.",
            ),
        ]
        if with_mode:
            options.append(
                click.option("--mode", type=click.Choice(MODE_CHOICES), help="Composition type.")
            )
        for option in reversed(options):
            func = option(func)
        return func

    return decorate
