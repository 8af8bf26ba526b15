"""``python -m mubert_async.sim``: run the Mubert simulator on a loopback HTTP port."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ..testing import FakeMubert
from ._server import serve

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mubert_async.sim",
        description="Serve an in-memory Mubert v3 API simulator over plain HTTP on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port, 0 for any (default 8080)")
    parser.add_argument(
        "--generation-time",
        type=float,
        default=0.0,
        help="seconds a generation takes (default 0)",
    )
    parser.add_argument(
        "--failure-rate",
        type=float,
        default=0.0,
        help="probability a generation fails (default 0)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed for ids, tokens and failures (default: random)",
    )
    return parser


async def _run(args: argparse.Namespace) -> None:
    fake = FakeMubert(
        generation_time=args.generation_time, failure_rate=args.failure_rate, seed=args.seed
    )
    customer = fake.add_customer("sim-user")
    runner, base_url = await serve(fake, args.host, args.port)
    try:
        print(f"Mubert simulator on {base_url} (files on {fake.files_base_url})")
        print("Throwaway credentials of this simulator run:")
        print(f"  MUBERT_BASE_URL={base_url}")
        print(f"  MUBERT_COMPANY_ID={fake.company_id}")
        print(f"  MUBERT_LICENSE_TOKEN={fake.license_token}")
        print(f"  MUBERT_CUSTOMER_ID={customer.id}")
        print(f"  MUBERT_ACCESS_TOKEN={customer.access_token}")
        print("Press Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        pass
    except (ValueError, OSError) as exc:  # a non-loopback host, a port in use
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
