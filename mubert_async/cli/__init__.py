"""The ``mubert`` command line (``pip install "mubert-async[cli]"``).

::

    mubert --sim generate --prompt "calm piano" --count 2 --duration 10 --out music/
    mubert batch requests.jsonl --out music/          # resumable, with a manifest
    mubert tracks list
    mubert customers create user-42 --save-env .env.user-42

Run ``mubert --help`` for every command, the credentials it reads and its exit
codes. Importing this package does not need click; running ``main`` does.
"""

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = 'the mubert command line needs click: pip install "mubert-async[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mubert`` command line with ``argv`` (default ``sys.argv[1:]``).

    Returns the exit code (0 success, 1 unexpected error, 2 usage error, 3 API
    or connection error, 4 partial failure of generate/batch, 130 interrupted).
    """
    try:
        import click  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    from ._app import run

    return run(argv)
