"""The pytest plugin: its fixtures, and the README's "Testing your code" run as a reader runs it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import pytest
from docs_harness import ROOT, blocks, files, run_as_a_reader

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.testing import FakeMubert, Fault, ManualClock

README = ROOT / "README.md"


async def test_the_fixtures_share_one_fake(
    mubert_fake: FakeMubert,
    mubert_clock: ManualClock,
    mubert_client: MubertClient,
    mubert_service: MubertServiceClient,
) -> None:
    await mubert_client.tracks.generate(prompt="lofi", duration=30)
    customers = await mubert_service.customers.list()
    assert len(customers.data) == 1  # the client's customer, made by the fake on first use
    assert (await mubert_service.customers.get(customers.data[0].id)).custom_id == "customer-1"
    mubert_fake.generation_time = 30
    track = await mubert_client.tracks.create(prompt="rain", duration=30)
    mubert_clock.advance(30)
    assert (await mubert_client.tracks.get(track.id)).url
    assert mubert_fake.stats.creates == 2


async def test_the_fixture_clients_retry_after_milliseconds(
    mubert_fake: FakeMubert,
    mubert_client: MubertClient,
    mubert_service: MubertServiceClient,
    sleeps: list[float],
) -> None:
    mubert_fake.faults.add(Fault.server_error(503, method="GET", times=1))
    mubert_fake.faults.add(Fault.rate_limited(retry_after=30, method="GET", times=1))
    await mubert_client.tracks.list()
    mubert_fake.faults.add(Fault.server_error(502, path="^/api/v3/service/", times=1))
    await mubert_service.licenses.list()
    assert len(sleeps) == 3 and max(sleeps) <= 0.001  # the defaults: 0.5 s, 1 s and 30 s


async def test_the_fixture_client_polls_after_milliseconds(mubert_client: MubertClient) -> None:
    started = time.perf_counter()
    for _ in range(3):
        await mubert_client.tracks.generate(prompt="lofi", duration=30)
    assert time.perf_counter() - started < 0.5  # the default first poll alone takes 0.25 s


def reader_project(tmp_path: Path, *, anyio: bool) -> Path:
    """The README's files, as a reader puts them in a project of their own."""
    python, toml = files(README, "python"), files(README, "toml")
    test_music = python["test_music.py"]
    if anyio:
        (marker,) = (b.source for b in blocks(README, "python") if "pytest.mark.anyio" in b.source)
        test_music = marker + "\n" + test_music
    else:
        (tmp_path / "pyproject.toml").write_text(toml["pyproject.toml"], encoding="utf-8")
    (tmp_path / "test_music.py").write_text(test_music, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("plugin", ["pytest-asyncio", "anyio"])
def test_the_readme_tests_pass_as_a_reader_runs_them(tmp_path: Path, plugin: str) -> None:
    """A new pytest process: the plugin comes from the installed entry point (pytest11)."""
    project = reader_project(tmp_path, anyio=plugin == "anyio")
    options = ["-p", "no:asyncio"] if plugin == "anyio" else []
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options]
    out = run_as_a_reader(command, project)
    # anyio's plugin runs each test on every backend installed (trio too: the dev extra has it)
    runs = len(anyio.get_available_backends()) if plugin == "anyio" else 1
    assert f"{3 * runs} passed" in out
