"""``python -m mubert_async.sim``: run the Mubert simulator on a loopback HTTP port.

``main(argv)`` is also what ``mubert sim`` calls; see ``mubert_async.sim._cli``.
"""

from __future__ import annotations

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
