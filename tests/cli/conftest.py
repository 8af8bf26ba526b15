"""Fixtures of the ``mubert`` command line tests: a local HTTP simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import HttpSim, served

from mubert_async.testing import FakeMubert


@pytest.fixture(scope="module")
def http_sim() -> Iterator[HttpSim]:
    """``mubert_async.sim.serve`` on a free loopback port, for subprocesses to call."""
    fake = FakeMubert(generation_time=0.05, seed=None)
    with served(fake, fake.add_customer("http-user")) as sim:
        yield sim


@pytest.fixture(autouse=True)
def sim_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ``--sim`` keeps its state in this test (in-process and subprocesses alike)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MUBERT_SIM_STATE", raising=False)
    return tmp_path / "cache" / "mubert-async" / "sim-state.pickle"
