"""``mubert playlists``, ``mubert stream-link`` and ``mubert library params|tracks``."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .._redaction import redact_link
from ..models import Playlist
from ._context import CliError, State
from ._files import write_private
from ._options import (
    BITRATE_CHOICES,
    INTENSITY_CHOICES,
    KEY_CHOICES,
    MODE_CHOICES,
    TYPE_CHOICES,
    Listing,
    OrderedGroup,
    bitrate_value,
    page_options,
    pass_state,
    show_listing,
)
from ._render import show_playlists, show_tracks

__all__ = ["library", "playlists", "stream_link"]

F = TypeVar("F", bound=Callable[..., Any])


def _matches(
    playlist: Playlist, category: str | None, group: str | None, search: str | None
) -> bool:
    def contains(value: str | None, wanted: str | None) -> bool:
        return wanted is None or wanted.casefold() in (value or "").casefold()

    text = " ".join(
        v or ""
        for v in (playlist.playlist_index, playlist.category, playlist.group, playlist.channel)
    )
    return (
        contains(playlist.category, category)
        and contains(playlist.group, group)
        and contains(text, search)
    )


@click.command(short_help="List the channels to generate or stream from.")
@click.option("--category", help="Only categories containing this text (case-insensitive).")
@click.option("--group", help="Only groups containing this text (case-insensitive).")
@click.option(
    "--search",
    metavar="TEXT",
    help="Only channels whose index, category, group or name contains TEXT.",
)
@pass_state
def playlists(state: State, category: str | None, group: str | None, search: str | None) -> None:
    """List the channels (playlists) to generate or stream from.

    INDEX is what `mubert generate --playlist` and `mubert stream-link` take.

    \b
    Example:
      mubert playlists --category moods --search calm
    """
    every = state.run_public(lambda client: client.playlists.list())
    state.out.show([p for p in every if _matches(p, category, group, search)], show_playlists)


@click.command("stream-link", short_help="Get a streaming link for a channel.")
@click.argument("playlist_index")
@click.option("--bitrate", type=click.Choice(BITRATE_CHOICES), help="Bitrate in kbps.")
@click.option("--intensity", type=click.Choice(INTENSITY_CHOICES), help="Intensity of the stream.")
@click.option("--type", "type_", type=click.Choice(TYPE_CHOICES), help="Streaming protocol.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Write the full link to this file (mode 0600) and print only its path.",
)
@pass_state
def stream_link(
    state: State,
    playlist_index: str,
    bitrate: str | None,
    intensity: str | None,
    type_: str | None,
    save: pathlib.Path | None,
) -> None:
    """Get a streaming link for the channel PLAYLIST_INDEX.

    The link carries the customer's credentials, so it is printed with its
    customer_id and access_token values replaced by ***. Use --save FILE to get
    the working link in a file only you can read.
    """
    link = state.run_public(
        lambda client: client.streaming.get_link(
            playlist_index, bitrate=bitrate_value(bitrate), intensity=intensity, type=type_
        )
    )
    out = state.out
    if save is not None:
        try:
            write_private(save, link + "\n")
        except OSError as exc:
            raise CliError(f"cannot write {str(save)!r}: {exc.strerror}", exit_code=1) from None
        out.result({"saved": str(save)}, str(save))
        return
    out.result({"link": redact_link(link)}, redact_link(link))


# -- library --------------------------------------------------------------------------

_TEXT_FILTERS = ("genres", "moods", "activities", "playlists", "instruments", "themes")


def library_filters(func: F) -> F:
    """The library's filter options (combined with AND)."""
    options = [
        *(
            click.option(f"--{name}", metavar="TEXT", help=f"Only tracks with these {name}.")
            for name in _TEXT_FILTERS
        ),
        click.option("--bpm", type=click.IntRange(1, 500), help="Only tracks of this tempo."),
        click.option(
            "--key",
            type=click.Choice(KEY_CHOICES),
            metavar="KEY",
            help="Only tracks in this key (C..B, Cm..Bm).",
        ),
        click.option(
            "--duration", type=click.IntRange(min=5), help="Only tracks of this length (s)."
        ),
        click.option("--mode", type=click.Choice(MODE_CHOICES), help="Only tracks of this mode."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@click.group(cls=OrderedGroup, short_help="Browse the curated music library.")
def library() -> None:
    """Mubert's curated music library: filter values and ready tracks.

    Filters combine with AND, e.g. `mubert library tracks --genres Ambient --bpm 90`.
    """


@library.command("params")
@library_filters
@pass_state
def library_params(state: State, /, **filters: Any) -> None:
    """List the filter values (with track counts) among tracks matching the filters."""
    params = state.run_public(lambda client: client.library.params(**_filters(filters)))
    if state.out.json_mode:
        state.out.json(params)
        return
    state.out.table(
        ("PARAM", "VALUE", "TRACKS"),
        ((p.param, v.value, v.tracks_count) for p in params for v in p.values),
    )


@library.command("tracks")
@library_filters
@page_options("tracks", every=False)
@pass_state
def library_tracks(state: State, /, limit: int, offset: int, **filters: Any) -> None:
    """List library tracks matching the filters.

    JSON: {"data": [tracks], "meta": {"total", "limit", "offset"}}.
    """
    listing = state.run_public(
        lambda client: Listing.fetch(
            page=lambda: client.library.tracks(limit=limit, offset=offset, **_filters(filters)),
            offset=offset,
        )
    )
    show_listing(state.out, listing, show_tracks, more="use --offset/--limit")
