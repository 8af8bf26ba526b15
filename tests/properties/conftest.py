"""Hypothesis profiles for the property tests, and one event loop per test module.

The ``ci`` profile is loaded by default: at least 800 examples per property, no
per-example deadline (a CI machine may stall), derandomized so that every run checks
the same examples and a failure reproduces. ``HYPOTHESIS_PROFILE=dev`` runs a quick
200 examples; ``HYPOTHESIS_PROFILE=deep`` 20,000 with a fresh random seed each run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from prop_harness import Run, Wire, wire

settings.register_profile(
    "ci",
    max_examples=800,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", parent=settings.get_profile("ci"), max_examples=200)
settings.register_profile(
    "deep", parent=settings.get_profile("ci"), max_examples=20_000, derandomize=False
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """Runs a coroutine to completion on the module's own event loop.

    One loop for all the examples of a module: creating a loop per example would cost
    more than the example itself.
    """
    loop = asyncio.new_event_loop()
    try:
        yield loop.run_until_complete
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


@pytest.fixture(scope="module", name="wire")
def wire_fixture() -> Wire:
    """Clients over a recording transport, shared by a module's examples (cheaper than new ones)."""
    return wire()
