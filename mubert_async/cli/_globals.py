"""The global options (``--sim``, ``--json``, ``--env-file``...): one definition, any position.

``add_global_options(command)`` gives the group and every command below it the same
options, so ``mubert --sim generate ...`` and ``mubert generate ... --sim`` are one
thing. Each option writes into the run's ``State`` as it is parsed (a value left at
its default never overwrites one given at another level); nothing is decided until a
command runs, so the last one given wins.
"""

from __future__ import annotations

import logging
import pathlib
import sys
from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from .._config import DEFAULT_TIMEOUT
from .._redaction import Redactor
from ._context import State

__all__ = ["GLOBAL_OPTION_NAMES", "add_global_options", "global_options"]


def _store(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return  # not given here (maybe at another level)
        state = ctx.ensure_object(State)
        from_env = (
            param.name and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT
        )
        if from_env and getattr(state, attribute) is not None:
            return  # the environment never overrides an option given on the command line
        setattr(state, attribute, value)
        if attribute == "sim_reset":
            state.sim = True
        if attribute == "debug":
            log_to_stderr(state)

    return callback


def global_options() -> list[click.Option]:
    """Fresh ``click.Option`` objects for the global options (one set per command)."""

    def option(names: list[str], attribute: str, text: str, **kw: Any) -> click.Option:
        # The parameter's own name is prefixed: a command's option may share the attribute's.
        decls = [*names, f"global_{attribute}"]
        callback = _store(attribute)
        return click.Option(decls, expose_value=False, callback=callback, help=text, **kw)

    def flag(name: str, attribute: str, text: str) -> click.Option:
        return option([name], attribute, text, is_flag=True, default=False)

    def value(names: list[str], attribute: str, text: str, **kw: Any) -> click.Option:
        return option(names, attribute, text, default=None, **kw)

    return [
        flag(
            "--sim",
            "sim",
            "Run on an in-process Mubert simulator with a ready customer (no credentials, no "
            "network). Its tracks and customers are kept between --sim runs, in "
            "~/.cache/mubert-async/ (env: MUBERT_SIM_STATE, XDG_CACHE_HOME).",
        ),
        value(
            ["--sim-generation-time"],
            "sim_generation_time",
            "How long a generation takes on the simulator (default 0.5).",
            type=click.FloatRange(min=0),
            metavar="SECONDS",
        ),
        flag(
            "--sim-reset",
            "sim_reset",
            "Start the simulator afresh: forget its tracks and customers (implies --sim).",
        ),
        flag("--json", "json", "Print machine-readable JSON on stdout (errors: JSON on stderr)."),
        flag("--quiet", "quiet", "No progress bar, notes or summary on stderr (errors still)."),
        value(
            ["--env-file"],
            "env_file",
            "Read MUBERT_* credentials from this dotenv-style file (env: MUBERT_ENV_FILE).",
            type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
            envvar="MUBERT_ENV_FILE",
        ),
        value(
            ["--base-url"],
            "base_url",
            "API base URL (default: MUBERT_BASE_URL or production).",
            metavar="URL",
        ),
        value(
            ["--timeout"],
            "timeout",
            f"Timeout of each HTTP request (default {DEFAULT_TIMEOUT:g}; a generation's wait "
            "is --wait-timeout).",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
        ),
        flag("--debug", "debug", "Log requests (credentials redacted) and show tracebacks."),
    ]


GLOBAL_OPTION_NAMES = frozenset(name for option in global_options() for name in option.opts)
"""Every global option's name (``--json``...), accepted before or after the command."""


def add_global_options(command: click.Command, *, skip: frozenset[str] = frozenset()) -> None:
    """Give ``command`` and, for a group, every command below it the global options."""
    command.params.extend(global_options())
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if name not in skip:
                add_global_options(sub)


class _RedactingFormatter(logging.Formatter):
    """``note: <message>`` for INFO (retries), ``LEVEL logger: <message>`` otherwise; redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno == logging.INFO and not record.exc_info:
            return self._redactor.text(f"note: {record.getMessage()}")
        return self._redactor.text(super().format(record))


def log_to_stderr(state: State, level: int = logging.DEBUG) -> None:
    """Send the SDK's log records (``level`` and up) to stderr, redacted, until the run ends.

    Called again with a lower level, it lowers the level of the handler already there.
    """
    logger = logging.getLogger("mubert_async")
    if state.log_handler is not None:
        state.log_handler.setLevel(min(level, state.log_handler.level))
        logger.setLevel(min(logger.level or level, level))
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(state.redactor))
    handler.setLevel(level)
    handler.addFilter(lambda record: record.levelno >= logging.WARNING or not state.quiet)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level if previous == logging.NOTSET else min(previous, level))
    state.log_handler = handler

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        state.log_handler = None

    state.cleanups.append(restore)
