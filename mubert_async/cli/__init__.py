"""The ``mubert`` command line (extra ``cli``)."""

from __future__ import annotations


def main() -> None:
    """Run the ``mubert`` command line."""
    raise SystemExit("the mubert CLI is being built")
