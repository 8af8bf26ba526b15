"""``python -m mubert_async.cli``: the ``mubert`` command line."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
