"""Fixtures for the documentation's examples: the real API, stood in for by the simulator."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from threaded_sim import served_in_a_thread

from mubert_async.testing import FakeMubert

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeMubert]:
    """What a reader of the README has: ``MUBERT_*`` credentials of a live API.

    Here the API is ``mubert_async.sim`` over real HTTP on 127.0.0.1 (in a thread, so
    that a block may call ``asyncio.run`` itself), reached through ``MUBERT_BASE_URL``;
    the company's and a customer's credentials are in the environment. The working
    directory is a fresh temporary one (blocks write files such as ``out/``).
    """
    fake = FakeMubert(generation_time=0.05, seed=None)
    customer = fake.add_customer("readme-reader")
    with served_in_a_thread(fake):
        for name, value in {
            "MUBERT_BASE_URL": fake.base_url,
            "MUBERT_COMPANY_ID": fake.company_id,
            "MUBERT_LICENSE_TOKEN": fake.license_token,
            "MUBERT_CUSTOMER_ID": customer.id,
            "MUBERT_ACCESS_TOKEN": customer.access_token,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield fake
