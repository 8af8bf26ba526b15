"""Fixtures of the MCP server tests: a recorded stdio conversation with a real ``mubert mcp``."""

from __future__ import annotations

import pathlib

import anyio
import pytest
from mcp_helpers import Transcript, converse


@pytest.fixture(autouse=True)
def sim_state(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Where ``--sim`` keeps its state in this test (never the user's cache, never shared)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MUBERT_SIM_STATE", raising=False)
    return tmp_path / "cache" / "mubert-async" / "sim-state.pickle"


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """One ``mubert mcp`` process on the HTTP simulator, driven through a scripted session."""
    work: pathlib.Path = tmp_path_factory.mktemp("mcp")
    result: Transcript = anyio.run(converse, work)
    return result
