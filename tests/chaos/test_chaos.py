"""Under faults at 20 % of requests nothing is lost, duplicated or misreported.

Runs the scenarios of ``benchmarks/chaos.py`` at a smaller size and asserts the
columns that must be zero; ``python benchmarks/chaos.py`` prints the full table.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_chaos() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos.py"
    spec = importlib.util.spec_from_file_location("chaos_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


chaos = _load_chaos()
N, C, RATE = 40, 10, 0.2


@pytest.mark.parametrize("scenario", chaos.SCENARIOS, ids=[s.name for s in chaos.SCENARIOS])
async def test_memory(scenario: chaos.Scenario) -> None:
    outcome, _ = await chaos.run(scenario, n=N, c=C, rate=RATE, mode="memory")
    assert outcome.delivered == N
    assert (outcome.lost, outcome.duplicated, outcome.wrong_class) == (0, 0, 0), outcome
    assert outcome.could_have_succeeded == 0, outcome


async def test_expired_download_links_are_reported_as_such() -> None:
    attempts, expired = await chaos.expiring_links(n=5, mode="memory")
    assert attempts == expired == 5


async def test_no_credential_leaks_across_a_chaos_run(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="mubert_async")
    scenario = next(s for s in chaos.SCENARIOS if s.name.startswith("all of the above"))
    outcome, fake = await chaos.run(scenario, n=40, c=8, rate=0.3, mode="memory", seed=5)
    assert outcome.clean
    secrets = [fake.company_id, fake.license_token]
    secrets += [c.access_token for c in fake._engine.customers.values()]
    secrets += [c.id for c in fake._engine.customers.values()]
    texts = [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records if record.args]
    texts += [repr(fake), repr(outcome)]
    assert len(caplog.records) > 100  # requests, retries and transport errors were logged
    for text in texts:
        for secret in secrets:
            assert secret not in text


OVER_HTTP = [
    s
    for s in chaos.SCENARIOS
    if s.name in {"reset after processing", "all of the above faults at once"}
    or s.name.startswith("creates committed 4x")
]


@pytest.mark.parametrize("mode", ["memory", "http"])
async def test_misuse_loses_nothing_and_leaves_no_task(mode: str) -> None:
    outcome = await chaos.misuse(n=60, c=8, mode=mode)
    assert outcome.breaks > 0
    assert outcome.clean, outcome


@pytest.mark.parametrize("scenario", OVER_HTTP, ids=[s.name for s in OVER_HTTP])
async def test_http(scenario: chaos.Scenario) -> None:
    outcome, _ = await chaos.run(scenario, n=40, c=8, rate=RATE, mode="http")
    assert outcome.delivered == 40
    assert (outcome.lost, outcome.duplicated, outcome.wrong_class) == (0, 0, 0), outcome
    assert outcome.could_have_succeeded == 0, outcome
