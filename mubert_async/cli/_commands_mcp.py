"""``mubert mcp``: serve the SDK to AI agents as a Model Context Protocol server."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import TYPE_CHECKING

import click

from ._context import CliError, State, run_async
from ._generate import EXIT_USAGE
from ._options import pass_state
from ._out import out_target

if TYPE_CHECKING:
    from ..testing import FakeMubert, FakeStats

__all__ = ["mcp"]

INSTALL_HINT = 'mubert mcp needs the MCP SDK: pip install "mubert-async[mcp]"'


@click.command(short_help="Serve the SDK to AI agents (Model Context Protocol).")
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="Serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, writable=True, path_type=pathlib.Path),
    help="A directory (created if missing) for generated audio; the tools then return each "
    "file's local path.",
)
@click.option(
    "--sim-max-concurrent",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --sim: the simulated account's limit of concurrent generations.",
)
@pass_state
def mcp(
    state: State, http_port: int | None, out: pathlib.Path | None, sim_max_concurrent: int | None
) -> None:
    """Run a Model Context Protocol server whose tools generate music.

    An agent (Claude Desktop, an IDE, your own) starts it and talks to it over
    stdio: it can generate tracks from a prompt or a playlist (one or many at
    once, inside the account's concurrency limit), look up and list tracks,
    playlists and library parameters, and download files. Credentials come
    from the environment as for every command; errors reach the agent as tool
    errors, never with a credential.

    \b
    Example (offline, on the simulator):
      mubert --sim mcp --out music/
    """
    try:
        from ..mcp_server import serve
    except ImportError:
        raise CliError(INSTALL_HINT, EXIT_USAGE) from None
    if out is not None:  # the -o rule of every command: here a directory only
        out = out_target(out, allow_file=False).path
    fake = state.simulator.fake if state.sim else None
    if sim_max_concurrent is not None:
        if fake is None:
            raise click.UsageError("--sim-max-concurrent needs --sim")
        _limit_for_this_run(state, fake, sim_max_concurrent)
    before = _start_counting(fake) if fake is not None else None

    async def main() -> None:
        await serve(
            state.public_client, state.redactor, out=out, http_port=http_port, debug=state.debug
        )

    run_async(main)
    if fake is not None and before is not None:
        stats = fake.stats
        state.out.note(
            f"simulator: {stats.creates - before.creates} tracks created, at most "
            f"{stats.peak_in_flight} generating at once, "
            f"{stats.concurrency_rejections - before.concurrency_rejections} creates refused "
            "by the concurrency limit"
        )


def _limit_for_this_run(state: State, fake: FakeMubert, limit: int) -> None:
    """The simulated license's concurrency limit for this run only (not kept in --sim's state)."""
    name = "max_concurrent_track_generations"
    previous = fake._engine.license.limits.values[name]
    fake.set_license_limits(**{name: limit})
    # cleanups run last-added first: this one before the state is saved
    state.cleanups.append(lambda: fake.set_license_limits(**{name: previous}))


def _start_counting(fake: FakeMubert) -> FakeStats:
    """The counters so far (--sim keeps them between runs); the peak restarts with this run."""
    before = dataclasses.replace(fake.stats)
    fake.stats.peak_in_flight = fake.in_flight
    return before
