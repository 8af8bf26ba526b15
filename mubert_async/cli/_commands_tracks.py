"""``mubert generate`` and ``mubert tracks list|get|download``."""

from __future__ import annotations

import pathlib
import sys
from typing import TYPE_CHECKING, Any

import click

from .._redaction import error_message
from ..models import Track, TrackRequest
from ._context import State, run_async
from ._generate import Outcome, Progress, exit_code_for, generate_and_download
from ._options import (
    BITRATE_CHOICES,
    KEY_CHOICES,
    Listing,
    OrderedGroup,
    audio_options,
    bitrate_value,
    format_option,
    lookup,
    page_options,
    pass_state,
    run_options,
    show_listing,
)
from ._out import force_option, out_option, out_target
from ._render import show_track, show_tracks

if TYPE_CHECKING:
    from .. import MubertClient

__all__ = ["generate", "tracks"]


def progress_enabled(state: State, no_progress: bool) -> bool:
    """Whether to draw a progress bar: on when stderr is a terminal, unless told otherwise."""
    return not (no_progress or state.quiet) and sys.stderr.isatty()


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """One generated item as JSON: status, track id, file, error and the whole track."""
    return {
        "index": outcome.index,
        "status": "ok" if outcome.ok else "error",
        "track_id": outcome.track_id,
        "file": str(outcome.file) if outcome.file is not None else None,
        "error": outcome.error_fields() or None,
        "track": outcome.track,
    }


@click.command(short_help="Generate tracks and download them.")
@click.option("--prompt", metavar="TEXT", help="Describe the music (text-to-music).")
@click.option(
    "--playlist",
    "playlist_index",
    metavar="INDEX",
    help="Generate from a channel, e.g. 1.0.0 (see `mubert playlists`).",
)
@click.option(
    "--image",
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    help="Generate music for an image (PNG/JPEG/WEBP/BMP, 50 KB-10 MB).",
)
@click.option(
    "-n",
    "--count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="How many tracks to make.",
)
@click.option(
    "-d",
    "--duration",
    type=int,
    metavar="SECONDS",
    default=60,
    show_default=True,
    help="Length of each track in seconds (5-3600).",
)
@audio_options()
@click.option("--bpm", type=int, help="Tempo, 1-500 (only with --playlist).")
@click.option(
    "--key",
    type=click.Choice(KEY_CHOICES),
    metavar="KEY",
    help="Musical key, C..B or Cm..Bm (only with --playlist).",
)
@out_option(
    "A directory for the files (created if missing), or with -n 1 a .mp3/.wav file "
    "(with -n N: FILE-1.mp3 ... FILE-N.mp3)."
)
@force_option
@run_options
@pass_state
def generate(
    state: State,
    prompt: str | None,
    playlist_index: str | None,
    image: pathlib.Path | None,
    count: int,
    duration: int,
    format_: str | None,
    bitrate: str | None,
    intensity: str | None,
    mode: str | None,
    bpm: int | None,
    key: str | None,
    out: pathlib.Path,
    force: bool,
    concurrency: int | None,
    timeout: float | None,
    no_progress: bool,
) -> int:
    """Generate tracks and download them.

    Give exactly one of --prompt, --playlist or --image. COUNT tracks are generated
    at once (within the customer's concurrency limit) and each is saved as soon as
    it is done: as DIR/<track id>.<format>, or with -o FILE.mp3 (or .wav) as that
    file, numbered FILE-1.mp3 ... when COUNT > 1. A file's suffix sets the format
    (it must agree with --format); an existing file is kept unless --force. The path of each file is
    printed on stdout, one per line; failures and a summary go to stderr. A
    progress bar is shown on stderr when it is a terminal.

    \b
    Examples:
      mubert generate --prompt "calm piano in the rain" --duration 30
      mubert generate --playlist 1.0.0 --bpm 120 --key Am -n 4 --format wav -o out/
      mubert --json generate --image cover.png --duration 20

    With --json, stdout is one document: {"out_dir", "requested", "ok", "failed",
    "results": [{"index", "status", "track_id", "file", "error", "track"}]}.

    Exit code 4 when some tracks failed and the others were saved.
    """
    given = [
        name
        for name, v in (("--prompt", prompt), ("--playlist", playlist_index), ("--image", image))
        if v is not None
    ]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of --prompt, --playlist or --image"
            + (f" (got {', '.join(given)})" if given else "")
        )
    target = out_target(out, format=format_)
    target.refuse_overwrite(count, force)
    request = TrackRequest(
        duration,
        prompt=prompt,
        playlist_index=playlist_index,
        image=str(image) if image is not None else None,
        format=format_ or target.format,
        bitrate=bitrate_value(bitrate),
        intensity=intensity,
        mode=mode,
        bpm=bpm,
        key=key,
    )
    output = state.out

    def report(outcome: Outcome) -> None:
        if outcome.ok:
            output.line(str(outcome.file))
        else:
            track = f" (track {outcome.track_id})" if outcome.track_id else ""
            assert outcome.error is not None
            output.error(
                f"#{outcome.index + 1} of {count}{track}: {error_message(outcome.error)}",
                kind=type(outcome.error).__name__,
            )

    async def main() -> list[Outcome]:
        async with state.public_client() as client:
            progress = Progress(
                output, count, enabled=progress_enabled(state, no_progress), desc="generating"
            )
            try:
                return await generate_and_download(
                    client,
                    [request] * count,
                    lambda index: target.dest(index, count),
                    concurrency=concurrency,
                    timeout=timeout,
                    progress=progress,
                    on_outcome=report,
                )
            finally:
                progress.close()

    outcomes = run_async(main)
    out_dir = target.directory.resolve()
    ok = sum(1 for o in outcomes if o.ok)
    if output.json_mode:
        output.json(
            {
                "out_dir": str(out_dir),
                "requested": count,
                "ok": ok,
                "failed": count - ok,
                "results": [outcome_json(o) for o in outcomes],
            }
        )
    else:
        output.note(f"saved {ok} of {count} track(s) to {out_dir}")
    return exit_code_for([o.error for o in outcomes], ok)


# -- tracks ---------------------------------------------------------------------------


@click.group(cls=OrderedGroup, short_help="List, show and download the customer's tracks.")
def tracks() -> None:
    """The customer's tracks: list, show and download them."""


@tracks.command("list")
@page_options("tracks")
@click.option("--order", type=click.Choice(("asc", "desc")), help="Sort direction.")
@pass_state
def tracks_list(state: State, limit: int, offset: int, all_: bool, order: str | None) -> None:
    """List the customer's tracks, newest first by default.

    JSON: {"data": [tracks], "meta": {"total", "limit", "offset"}}.
    """
    listing = state.run_public(
        lambda client: Listing.fetch(
            every=all_,
            page=lambda: client.tracks.list(limit=limit, offset=offset, order=order),
            iterate=lambda: client.tracks.iter(order=order),
            offset=offset,
        )
    )
    show_listing(state.out, listing, show_tracks)


@tracks.command("get")
@lookup("track_id", show_track)
async def tracks_get(client: MubertClient, track_id: str) -> Track:
    """Show one track with its generations and download URL."""
    return await client.tracks.get(track_id)


@tracks.command("download")
@click.argument("track_id")
@out_option("A directory (file named <track id>.<format>; created if missing) or a .mp3/.wav file.")
@force_option
@format_option("Which generation to fetch (default: an -o file's suffix, else the newest).")
@click.option(
    "--bitrate", type=click.Choice(BITRATE_CHOICES), help="Which generation to fetch (kbps)."
)
@pass_state
def tracks_download(
    state: State,
    track_id: str,
    out: pathlib.Path,
    force: bool,
    format_: str | None,
    bitrate: str | None,
) -> None:
    """Download a generated track's file (its newest done generation).

    With -o FILE.mp3 (or .wav) only a generation in that format is fetched, and an
    existing FILE is kept unless --force. Prints the path of the file written.
    """
    out_to = out_target(out, format=format_)
    out_to.refuse_overwrite(1, force)
    format_ = format_ or out_to.format
    target = out_to.path
    path = state.run_public(
        lambda client: client.tracks.download(
            track_id, target, format=format_, bitrate=bitrate_value(bitrate)
        )
    )
    state.out.result({"track_id": track_id, "file": str(path)}, str(path))
