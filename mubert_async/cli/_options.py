"""Options and helpers shared by the commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import click

from ..models import BITRATES, KEYS, Format, Intensity, Mode, Page, StreamingType
from ._context import State
from ._output import Output

__all__ = [
    "BITRATE_CHOICES",
    "FORMAT_CHOICES",
    "INTENSITY_CHOICES",
    "KEY_CHOICES",
    "MODE_CHOICES",
    "OrderedGroup",
    "TYPE_CHOICES",
    "Listing",
    "audio_options",
    "bitrate_value",
    "format_option",
    "lookup",
    "page_options",
    "pass_state",
    "run_options",
    "show_listing",
]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

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


def bitrate_value(value: str | None) -> int | None:
    """The ``--bitrate`` choice as an int."""
    return int(value) if value is not None else None


def format_option(help_text: str) -> Callable[[F], F]:
    """``--format`` (given to the command as ``format_``: mp3 or wav), with this help text."""
    return click.option("--format", "format_", type=click.Choice(FORMAT_CHOICES), help=help_text)


def audio_options(*, with_mode: bool = True) -> Callable[[F], F]:
    """``--format``, ``--bitrate``, ``--intensity`` (and ``--mode``) of a generation."""

    def decorate(func: F) -> F:
        options = [
            format_option("Audio format (default: the license's)."),
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


def page_options(items: str, *, every: bool = True) -> Callable[[F], F]:
    """``--limit`` and ``--offset`` of a listing of ``items`` (and ``--all`` with ``every``)."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--limit",
                type=click.IntRange(min=1),
                default=25,
                show_default=True,
                help="Page size.",
            ),
            click.option(
                "--offset",
                type=click.IntRange(min=0),
                default=0,
                show_default=True,
                help=f"{items.capitalize()} to skip.",
            ),
        ]
        if every:
            noun = items.removesuffix("s")
            help_text = f"Every {noun}, fetched page by page."
            options.append(click.option("--all", "all_", is_flag=True, help=help_text))
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def lookup(
    argument: str, render: Callable[[Output, T], None], *, service: bool = False
) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., None]]:
    """Make ``fetch(client, ARGUMENT)`` a command that shows what it returns (or its JSON).

    ``client`` is the public client, or with ``service`` the service client; the
    command's help is ``fetch``'s docstring.
    """

    def decorate(fetch: Callable[..., Awaitable[T]]) -> Callable[..., None]:
        def command(state: State, /, **arguments: str) -> None:
            def call(client: Any) -> Awaitable[T]:
                return fetch(client, **arguments)

            state.out.show(state.run_service(call) if service else state.run_public(call), render)

        command.__name__, command.__doc__ = fetch.__name__, fetch.__doc__  # click's name, help
        return click.argument(argument)(pass_state(command))

    return decorate


def run_options(func: F) -> F:
    """``--concurrency``, ``--wait-timeout`` and ``--no-progress`` of a generating command."""
    options = [
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            metavar="N",
            help="Generations in flight at once (default: the customer's limit).",
        ),
        click.option(
            "--wait-timeout",
            "timeout",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help="Seconds to wait for each track to be generated (default 900; the HTTP "
            "timeout is --timeout).",
        ),
        click.option("--no-progress", is_flag=True, help="No progress bar on stderr."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass
class Listing(Generic[T]):
    """Items of a listing and its ``meta`` (total, limit, offset), as shown or printed as JSON."""

    items: list[T]
    total: int | None
    limit: int | None
    offset: int

    @classmethod
    async def fetch(
        cls,
        *,
        page: Callable[[], Awaitable[Page[T]]],
        offset: int,
        every: bool = False,
        iterate: Callable[[], AsyncIterator[T]] | None = None,
    ) -> Listing[T]:
        """One page, or with ``every`` the whole listing fetched page by page by ``iterate``."""
        if every and iterate is not None:
            items = [item async for item in iterate()]
            return cls(items, len(items), len(items), 0)
        got = await page()
        return cls(got.data, got.meta.total, got.meta.limit, offset)


def show_listing(
    out: Output,
    listing: Listing[T],
    show: Callable[[Output, Sequence[T]], None],
    *,
    more: str = "use --offset/--limit or --all for more",
) -> None:
    """Print the listing (JSON: ``{"data", "meta"}``) and say when there is more."""
    if out.json_mode:
        meta = {"total": listing.total, "limit": listing.limit, "offset": listing.offset}
        out.json({"data": listing.items, "meta": meta})
        return
    show(out, listing.items)
    shown_to = listing.offset + len(listing.items)
    if listing.total is not None and shown_to < listing.total:
        out.note(f"showing {listing.offset + 1}-{shown_to} of {listing.total}; {more}")
