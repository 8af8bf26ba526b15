"""The simulator's command line: ``python -m mubert_async.sim`` (also ``mubert sim``).

It serves a ``FakeMubert`` on a loopback port with one ready customer, prints the
throwaway credentials of the run as ``MUBERT_*=...`` lines on stdout (the base URL
line first, then flushed, so a parent process can read them), optionally writes the
same lines to a 0600 ``--env-file``, and runs until SIGINT or SIGTERM. Everything
meant for people (the banner, ``--verbose`` request lines) goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ..testing import FakeCustomer, FakeMubert, Fault, WebhookFaults
from ..transport._base import Request
from ._faults import FaultRates, add_fault_rates
from ._help import ClickStyleHelpFormatter, mp3_note
from ._server import is_loopback, serve

__all__ = ["PROG", "build_fake", "build_parser", "env_lines", "main", "run", "write_env_file"]

_N = TypeVar("_N", int, float)

PROG = "python -m mubert_async.sim"
CUSTOMER_CUSTOM_ID = "sim-user"

# --option dest -> license limit field (``FakeMubert.set_license_limits``)
_LIMITS = {
    "max_concurrent": "max_concurrent_track_generations",
    "customer_max_concurrent": "customer_max_concurrent_track_generations",
    "daily_tracks": "daily_tracks_count_limit",
    "monthly_tracks": "monthly_tracks_count_limit",
    "total_tracks": "total_tracks_count_limit",
    "max_duration": "max_track_duration",
    "customers_limit": "customers_count_limit",
}


# -- argument types (argparse turns ArgumentTypeError into "argument --x: message") ----


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _within(parse: Callable[[str], _N], low: _N, high: _N | None = None) -> Callable[[str], _N]:
    """An argument type: ``parse`` the text, then refuse values below ``low`` or above ``high``."""

    def check(text: str) -> _N:
        value = parse(text)
        if value < low or (high is not None and value > high):
            if high is not None:
                bounds = f"be between {low:g} and {high:g}"
            else:
                bounds = "not be negative" if low == 0 else f"be at least {low:g}"
            raise argparse.ArgumentTypeError(f"must {bounds}, got {text!r}")
        return value

    return check


_rate = _within(_number, 0.0, 1.0)
_seconds = _within(_number, 0.0)
_count = _within(_integer, 0)
_positive = _within(_integer, 1)
_port = _within(_integer, 0, 65535)


def _host(text: str) -> str:
    if not is_loopback(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a loopback address (127.0.0.1, ::1, localhost): "
            "the simulator serves plain http on loopback only"
        )
    return text


# -- the parser --------------------------------------------------------------------------


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The simulator's argument parser (``prog`` names it in usage and errors)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve an in-memory Mubert API v3 simulator over plain HTTP on loopback, with a "
            "ready company and customer. Prints their throwaway credentials as MUBERT_*=... "
            "lines and runs until interrupted (Ctrl-C or SIGTERM)."
        ),
        epilog=(
            "Fault rates are shares of all requests (file downloads included); they are "
            "exclusive, so together they may be at most 1. " + mp3_note()
        ),
        formatter_class=ClickStyleHelpFormatter,
    )
    _server_options(parser.add_argument_group("server"))
    _generation_options(parser.add_argument_group("generation"))
    _limit_options(parser.add_argument_group("license limits (default: unlimited)"))
    _fault_options(parser.add_argument_group("fault injection (shares of all requests)"))
    _webhook_options(parser.add_argument_group("webhook deliveries (shares of all deliveries)"))
    return parser


def _server_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--host", type=_host, default="127.0.0.1", help="loopback address (default 127.0.0.1)"
    )
    group.add_argument(
        "--port", type=_port, default=8080, help="port, 0 for any free one (default 8080)"
    )
    group.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="also write the MUBERT_*=... lines to PATH (created with mode 0600)",
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", help="print a line per request on stderr"
    )


def _generation_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--generation-time",
        type=_seconds,
        default=2.0,
        metavar="S",
        help="seconds a track takes to generate (default 2)",
    )
    group.add_argument(
        "--failure-rate",
        type=_rate,
        default=0.0,
        metavar="R",
        help="probability a generation ends in status failed (default 0)",
    )
    group.add_argument(
        "--seed",
        type=_integer,
        default=None,
        help="seed for ids, tokens, failures and faults (default: random)",
    )


def _limit_options(group: argparse._ArgumentGroup) -> None:
    def limit(flag: str, kind: Callable[[str], int], what: str) -> None:
        group.add_argument(flag, type=kind, default=None, metavar="N", help=what)

    limit("--max-concurrent", _positive, "concurrent track generations, license-wide")
    limit("--customer-max-concurrent", _positive, "concurrent track generations per customer")
    limit("--daily-tracks", _count, "tracks per UTC day, license-wide")
    limit("--monthly-tracks", _count, "tracks per UTC month, license-wide")
    limit("--total-tracks", _count, "tracks in all, license-wide")
    limit("--max-duration", _positive, "longest track, in seconds")
    limit("--customers-limit", _count, "customers (the simulator's own one counts)")


def _rate_option(group: argparse._ArgumentGroup, flag: str, what: str) -> None:
    group.add_argument(flag, type=_rate, default=0.0, metavar="R", help=f"{what} (default 0)")


def _seconds_option(group: argparse._ArgumentGroup, flag: str, default: float, what: str) -> None:
    group.add_argument(
        flag, type=_seconds, default=default, metavar="S", help=f"{what} (default {default:g})"
    )


def _fault_options(group: argparse._ArgumentGroup) -> None:
    _rate_option(group, "--error-rate", "answer 500, 502 or 503")
    _rate_option(group, "--rate-limit-rate", "answer 429 Too Many Attempts")
    _seconds_option(group, "--retry-after", 1.0, "Retry-After seconds of those 429s")
    _rate_option(group, "--reset-rate", "reset the connection: half before, half after processing")
    _rate_option(group, "--slow-rate", "answer after --slow-delay seconds")
    _seconds_option(group, "--slow-delay", 2.0, "delay of slow answers")
    _rate_option(group, "--malformed-rate", "process, then answer 200 with a body that is not JSON")
    _rate_option(
        group,
        "--late-commit-rate",
        "share of track creates stored --late-commit-delay seconds after they arrive, "
        "then answered (a client with a shorter timeout gives up first)",
    )
    _seconds_option(group, "--late-commit-delay", 2.0, "how late those creates are stored")


def _webhook_options(group: argparse._ArgumentGroup) -> None:
    _rate_option(group, "--webhook-loss-rate", "never delivered")
    _rate_option(group, "--webhook-duplicate-rate", "delivered twice")
    _rate_option(
        group, "--webhook-reorder-rate", "held back so that later deliveries overtake them"
    )
    _seconds_option(group, "--webhook-delay", 0.0, "seconds every delivery waits before it is sent")


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and cross-check; adds ``args.faults`` and ``args.webhook_faults``; exits 2."""
    args = parser.parse_args(argv)
    try:
        args.faults = FaultRates(
            error=args.error_rate,
            rate_limit=args.rate_limit_rate,
            reset=args.reset_rate,
            slow=args.slow_rate,
            malformed=args.malformed_rate,
            late_commit=args.late_commit_rate,
            retry_after=args.retry_after,
            slow_delay=args.slow_delay,
            late_commit_delay=args.late_commit_delay,
        )
    except ValueError as exc:
        parser.error(str(exc))
    args.webhook_faults = WebhookFaults(
        loss=args.webhook_loss_rate,
        duplicate=args.webhook_duplicate_rate,
        reorder=args.webhook_reorder_rate,
        delay=args.webhook_delay,
    )
    return args


# -- building and describing the simulator --------------------------------------------


def build_fake(args: argparse.Namespace) -> tuple[FakeMubert, FakeCustomer]:
    """The fake the options describe (limits and faults set) and its ready customer."""
    fake = FakeMubert(
        generation_time=args.generation_time, failure_rate=args.failure_rate, seed=args.seed
    )
    limits = {field: getattr(args, dest) for dest, field in _LIMITS.items()}
    fake.set_license_limits(**{k: v for k, v in limits.items() if v is not None})
    add_fault_rates(fake, args.faults)
    return fake, fake.add_customer(CUSTOMER_CUSTOM_ID)


def env_lines(fake: FakeMubert, customer: FakeCustomer) -> list[str]:
    """``NAME=value`` lines for the SDK's environment variables, the base URL first."""
    return [
        f"MUBERT_BASE_URL={fake.base_url}",
        f"MUBERT_COMPANY_ID={fake.company_id}",
        f"MUBERT_LICENSE_TOKEN={fake.license_token}",
        f"MUBERT_CUSTOMER_ID={customer.id}",
        f"MUBERT_ACCESS_TOKEN={customer.access_token}",
    ]


def write_env_file(path: Path, lines: Sequence[str]) -> None:
    """Write ``lines`` to ``path`` atomically, readable by its owner only (mode 0600)."""
    directory = path.parent
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # mkstemp's mode already; say it explicitly
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in lines))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _banner(args: argparse.Namespace, fake: FakeMubert) -> str:
    limits = [
        f"{flag.replace('_', '-')} {getattr(args, flag)}"
        for flag in _LIMITS
        if getattr(args, flag) is not None
    ]
    lines = [
        f"Mubert simulator on {fake.base_url} (files under {fake.files_base_url})",
        f"  generation: {args.generation_time:g} s per track",
        f"  failure rate: {args.failure_rate:.0%} of generations",
        f"  limits: {', '.join(limits) or 'none'}",
        f"  faults: {args.faults.describe()}",
        f"  webhook deliveries (to loopback webhook_url only): {args.webhook_faults.describe()}",
    ]
    if args.env_file is not None:
        lines.append(f"  credentials also written to {args.env_file}")
    lines.append("The credentials above are throwaway ones for this run. Stop with Ctrl-C.")
    return "\n".join(lines)


def _log_request(request: Request, status: int | None, fault: Fault | None) -> None:
    outcome = "connection reset" if status is None else str(status)
    injected = f" [fault: {fault.kind}]" if fault is not None else ""
    path = urlsplit(request.url).path  # never the query or headers: no credentials
    print(f"{request.method} {path} -> {outcome}{injected}", file=sys.stderr, flush=True)


# -- running -------------------------------------------------------------------------


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM while inside (where the loop can handle signals)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def run(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Serve the simulator ``args`` describe until ``stop`` is set or SIGINT/SIGTERM arrives."""
    stop = stop if stop is not None else asyncio.Event()
    with _stop_on_signals(stop):
        fake, customer = build_fake(args)
        log = _log_request if args.verbose else None
        runner, _ = await serve(
            fake, args.host, args.port, log=log, webhook_faults=args.webhook_faults
        )
        try:
            lines = env_lines(fake, customer)
            if args.env_file is not None:
                write_env_file(args.env_file, lines)
            print("\n".join(lines), flush=True)
            print(_banner(args, fake), file=sys.stderr, flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()
    print("Mubert simulator stopped.", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the simulator until interrupted; return the exit status.

    0 after a clean shutdown, 2 for invalid arguments (``--help``: 0), 1 when the
    server cannot start (the port is taken, the env file cannot be written).
    """
    parser = build_parser(prog or PROG)
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:  # where signal handlers cannot be installed
        pass
    except OSError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0
