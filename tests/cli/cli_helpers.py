"""Helpers for the ``mubert`` command line tests: subprocess runs and the HTTP simulator handle."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threaded_sim import served_in_a_thread

from mubert_async.testing import FakeCustomer, FakeMubert

# Distinctive values: no command may ever print them, whatever it does with them.
FAKE_CREDENTIALS = {
    "MUBERT_CUSTOMER_ID": "cust-SECRET-ID-7f3a9c",
    "MUBERT_ACCESS_TOKEN": "tok-SECRET-ACCESS-51d2e8",
    "MUBERT_COMPANY_ID": "comp-SECRET-ID-8b4c11",
    "MUBERT_LICENSE_TOKEN": "lic-SECRET-LICENSE-c09e77",
}
SIM = ("--sim", "--sim-generation-time", "0.05")
RUN_TIMEOUT = 60


@dataclass
class Run:
    """A finished ``mubert`` process."""

    args: Sequence[str]
    code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return f"Run({list(self.args)}, code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def base_env() -> dict[str, str]:
    """The test process's environment without any MUBERT_* variable, output unbuffered."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUBERT_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def mubert(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    secrets: Sequence[str] = (),
    timeout: float = RUN_TIMEOUT,
) -> Run:
    """Run ``python -m mubert_async.cli ARGS`` and check that no credential was printed.

    ``env`` defaults to the test environment plus the distinctive fake credentials;
    those and ``secrets`` must appear in neither stdout nor stderr.
    """
    if env is None:
        env = {**base_env(), **FAKE_CREDENTIALS}
    completed = subprocess.run(
        [sys.executable, "-m", "mubert_async.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    run = Run(args, completed.returncode, completed.stdout, completed.stderr)
    for secret in (*FAKE_CREDENTIALS.values(), *secrets):
        assert secret not in run.stdout, run
        assert secret not in run.stderr, run
    return run


def mubert_all(*commands: Sequence[str], **options: Any) -> list[Run]:
    """Run several independent ``mubert`` commands at once (same options); results in order."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: mubert(*args, **options), commands))


@dataclass
class HttpSim:
    """A FakeMubert served over HTTP on 127.0.0.1 from a background thread."""

    fake: FakeMubert
    customer: FakeCustomer
    base_url: str

    @property
    def customer_env(self) -> dict[str, str]:
        """Real credentials of the simulator's customer and company, plus its URL."""
        return {
            **base_env(),
            "MUBERT_BASE_URL": self.base_url,
            "MUBERT_CUSTOMER_ID": self.customer.id,
            "MUBERT_ACCESS_TOKEN": self.customer.access_token,
            "MUBERT_COMPANY_ID": self.fake.company_id,
            "MUBERT_LICENSE_TOKEN": self.fake.license_token,
        }

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credential values the command line must never print: the tokens (not the ids)."""
        return (self.customer.access_token, self.fake.license_token)


@contextmanager
def served(fake: FakeMubert, customer: FakeCustomer) -> Iterator[HttpSim]:
    """Serve ``fake`` on a free loopback port from a background thread while the block runs."""
    with served_in_a_thread(fake) as base_url:
        yield HttpSim(fake, customer, base_url)
