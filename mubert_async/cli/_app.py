"""The ``mubert`` click application: global options, commands, errors and exit codes."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from .._version import __version__
from ..errors import InvalidRequestError, MubertError
from ._commands_batch import batch
from ._commands_catalog import library, playlists, stream_link
from ._commands_mcp import mcp
from ._commands_service import customers, licenses
from ._commands_shell import completion
from ._commands_tracks import generate, tracks
from ._context import CliError, State
from ._generate import EXIT_API, EXIT_OK, EXIT_USAGE
from ._globals import add_global_options, log_to_stderr
from ._options import OrderedGroup

__all__ = ["EXIT_INTERRUPTED", "EXIT_UNEXPECTED", "cli", "run"]

EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130

_EPILOG = """\b
Credentials come only from the environment or an --env-file, never from
options; the tokens are never printed (ids are data and shown as they are):
  MUBERT_CUSTOMER_ID, MUBERT_ACCESS_TOKEN   a customer (generate, batch, tracks,
                                            playlists, stream-link, library)
  MUBERT_COMPANY_ID, MUBERT_LICENSE_TOKEN   the company (customers, licenses)
  MUBERT_BASE_URL                           the API (default: production)
With --env-file, the file's MUBERT_* values win over the environment's.

\b
Exit codes:
  0  success
  1  an unexpected error (a bug, or a file that could not be written)
  2  usage error: a bad option or argument, missing credentials, or a request
     the SDK refused before sending it (InvalidRequestError)
  3  the API or the connection failed (MubertError: not found, forbidden,
     quota, timeout...)
  4  generate/batch: some tracks failed, the others were saved
  130 interrupted (Ctrl-C)

\b
Try it without an account on the built-in simulator:
  mubert --sim generate --prompt "calm piano" --count 2 --duration 10
"""


@click.group(
    cls=OrderedGroup,
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="mubert")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """mubert: generate music with the Mubert AI Music API v3 from the shell.

    \b
      mubert generate --prompt "lofi beats" --count 4 --duration 60 --out music/
      mubert batch requests.jsonl --out music/
      mubert tracks list --json
      mubert playlists --search calm --sim

    The options below are global: they may go before or after the command.
    Run `mubert COMMAND --help` for a command's own options.
    """
    ctx.ensure_object(State)


@cli.command(
    "sim",
    short_help="Serve the Mubert simulator over local HTTP.",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sim_command(args: tuple[str, ...]) -> int:
    """Serve the Mubert simulator over HTTP (`mubert sim --help` for its options).

    Prints a base URL and throwaway credentials to use with MUBERT_BASE_URL and
    friends; stops on Ctrl-C.
    """
    from ..sim.__main__ import main as sim_main

    try:
        return sim_main(list(args), prog="mubert sim")
    except SystemExit as exc:  # argparse exits for --help and bad arguments
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)


_COMMANDS = (generate, batch, tracks, playlists, stream_link, library, customers, licenses)
for _command in (*_COMMANDS, completion):
    cli.add_command(_command)
cli.add_command(mcp)
cli.add_command(cli.commands.pop("sim"))  # listed last
add_global_options(cli, skip=frozenset({"sim"}))  # sim has its own options


def _click_error_text(error: click.ClickException) -> str:
    buffer = io.StringIO()
    error.show(file=buffer)
    return buffer.getvalue().rstrip("\n")


def _failure(error: BaseException, state: State) -> tuple[int, str | None, str]:
    """The exit code, error type shown and message of an error that ended the run."""
    if isinstance(error, click.ClickException):
        return error.exit_code, type(error).__name__, error.format_message()
    if isinstance(error, CliError):
        return error.exit_code, None, str(error)
    kind = type(error).__name__
    if isinstance(error, InvalidRequestError):
        return EXIT_USAGE, kind, str(error)
    if isinstance(error, MubertError):
        return EXIT_API, kind, str(error)
    if state.debug:
        state.out.note("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return EXIT_UNEXPECTED, kind, str(error)


def _json_requested(argv: Sequence[str]) -> bool:
    """Whether ``--json`` is among the options (also when parsing failed before reaching it)."""
    options = argv[: list(argv).index("--")] if "--" in argv else argv
    return "--json" in options


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``mubert`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = list(argv) if argv is not None else sys.argv[1:]
    state = State()
    log_to_stderr(state, logging.INFO)  # retries are said on stderr (not with --quiet)
    try:
        result: Any = cli.main(args=args, prog_name="mubert", standalone_mode=False, obj=state)
    except (click.Abort, KeyboardInterrupt):
        state.out.note("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        with contextlib.suppress(Exception):
            state.settings  # noqa: B018 (registers the credentials to redact, if not yet)
        code, kind, message = _failure(error, state)
        out = state.out
        out.json_mode = out.json_mode or _json_requested(args)
        if isinstance(error, click.ClickException) and not out.json_mode:
            sys.stderr.write(out.redactor.text(_click_error_text(error)) + "\n")
        else:
            out.error(message, kind=kind, exit_code=code)
        return code
    finally:
        state.out.use_writer(None)
        for cleanup in reversed(state.cleanups):
            cleanup()
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return EXIT_OK
