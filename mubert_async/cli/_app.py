"""The ``mubert`` click application: global options, commands, errors and exit codes."""

from __future__ import annotations

import io
import logging
import pathlib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from .._config import DEFAULT_TIMEOUT
from .._version import __version__
from ..errors import InvalidRequestError, MubertError
from ._commands_batch import batch
from ._commands_catalog import library, playlists, stream_link
from ._commands_mcp import mcp
from ._commands_service import customers, licenses
from ._commands_tracks import generate, tracks
from ._context import CliError, State, load_settings
from ._generate import EXIT_API, EXIT_OK, EXIT_USAGE
from ._options import OrderedGroup
from ._output import Output, Redactor

__all__ = ["EXIT_INTERRUPTED", "EXIT_UNEXPECTED", "cli", "run"]

EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130

_EPILOG = """\b
Credentials come only from the environment or an --env-file, never from
options, and are never printed:
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
@click.option(
    "--sim",
    is_flag=True,
    help="Run the command on an in-process Mubert simulator with a ready customer "
    "(no credentials, no network).",
)
@click.option(
    "--sim-generation-time",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="How long a generation takes on the simulator.",
)
@click.option(
    "--json",
    "json_",
    is_flag=True,
    help="Print machine-readable JSON on stdout (also accepted after the command).",
)
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    envvar="MUBERT_ENV_FILE",
    help="Read MUBERT_* credentials from this dotenv-style file (env: MUBERT_ENV_FILE).",
)
@click.option(
    "--base-url", metavar="URL", help="API base URL (default: MUBERT_BASE_URL or production)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Timeout of each HTTP request.",
)
@click.option(
    "--debug", is_flag=True, help="Log requests (credentials redacted) and show tracebacks."
)
@click.version_option(__version__, "-V", "--version", prog_name="mubert")
@click.pass_context
def cli(
    ctx: click.Context,
    sim: bool,
    sim_generation_time: float,
    json_: bool,
    env_file: pathlib.Path | None,
    base_url: str | None,
    timeout: float,
    debug: bool,
) -> None:
    """mubert: generate music with the Mubert AI Music API v3 from the shell.

    \b
      mubert generate --prompt "lofi beats" --count 4 --duration 60 --out music/
      mubert batch requests.jsonl --out music/
      mubert tracks list
      mubert --sim playlists --search calm

    Global options go before the command. Run `mubert COMMAND --help` for a
    command's options.
    """
    state = ctx.ensure_object(State)
    if sim and base_url is not None:
        raise click.UsageError("--sim and --base-url exclude each other")
    state.sim = sim
    state.sim_generation_time = sim_generation_time
    state.json = state.json or json_
    state.base_url = base_url
    state.timeout = timeout
    state.debug = debug
    if debug:
        _log_to_stderr(state)
    if ctx.invoked_subcommand != "sim":
        state.settings = load_settings(env_file, state.redactor)


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


for _command in (generate, batch, tracks, playlists, stream_link, library, customers, licenses):
    cli.add_command(_command)
cli.add_command(mcp)
cli.add_command(cli.commands.pop("sim"))  # listed last


class _RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.text(super().format(record))


def _log_to_stderr(state: State) -> None:
    """Send the SDK's log records to stderr, redacted, until the run ends."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(state.redactor))
    logger = logging.getLogger("mubert_async")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    state.cleanups.append(restore)


def _show_click_error(error: click.ClickException, out: Output) -> None:
    buffer = io.StringIO()
    error.show(file=buffer)
    text = out.redactor.text(buffer.getvalue().rstrip("\n"))
    sys.stderr.write(text + "\n")


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``mubert`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    state = State()
    out = state.out
    try:
        result: Any = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="mubert",
            standalone_mode=False,
            obj=state,
        )
    except click.ClickException as error:
        _show_click_error(error, out)
        return error.exit_code
    except click.Abort:
        out.note("interrupted")
        return EXIT_INTERRUPTED
    except CliError as error:
        out.error(str(error))
        return error.exit_code
    except InvalidRequestError as error:
        out.error(f"{type(error).__name__}: {error}")
        return EXIT_USAGE
    except MubertError as error:
        out.error(f"{type(error).__name__}: {error}")
        return EXIT_API
    except KeyboardInterrupt:
        out.note("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        if state.debug:
            out.note("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        out.error(f"{type(error).__name__}: {error}")
        return EXIT_UNEXPECTED
    finally:
        out.use_writer(None)
        for cleanup in reversed(state.cleanups):
            cleanup()
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return EXIT_OK
