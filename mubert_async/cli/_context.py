"""Where a command gets its settings, credentials and clients (real API or ``--sim``)."""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .._config import DEFAULT_TIMEOUT, ENV_BASE_URL, PUBLIC_AUTH, SERVICE_AUTH, AuthScheme
from .._redaction import Redactor
from ._files import EnvFileError, parse_env_file
from ._output import Output

if TYPE_CHECKING:
    from .. import MubertClient, MubertServiceClient
    from ..testing import FakeCustomer, FakeMubert

__all__ = [
    "CREDENTIAL_VARS",
    "CliError",
    "Settings",
    "Simulator",
    "State",
    "load_settings",
    "run_async",
    "sim_state_path",
]

T = TypeVar("T")

CREDENTIAL_VARS = (PUBLIC_AUTH.token_env, SERVICE_AUTH.token_env)
"""The environment variables holding secrets: the tokens (ids are ordinary data, never masked)."""

SIM_CUSTOM_ID = "mubert-cli"
"""``custom_id`` of the customer ``--sim`` commands act as."""


class CliError(Exception):
    """A failure to report as ``error: <message>`` with a given exit code (no traceback)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Settings:
    """The ``MUBERT_*`` values in effect: the env file's, else the environment's."""

    values: Mapping[str, str]

    def get(self, name: str) -> str | None:
        """The value of ``name``, or None when unset or blank."""
        value = self.values.get(name)
        return value if value is not None and value.strip() else None


def load_settings(env_file: pathlib.Path | None, redactor: Redactor) -> Settings:
    """Merge the environment's ``MUBERT_*`` variables with those of ``env_file``.

    The env file wins: it was named on the command line for this run. Every
    token found in either place is registered with ``redactor``.
    """
    values = {k: v for k, v in os.environ.items() if k.startswith("MUBERT_")}
    redactor.add(*(os.environ.get(name) for name in CREDENTIAL_VARS))
    if env_file is not None:
        try:
            from_file = parse_env_file(env_file)
        except EnvFileError as exc:
            raise CliError(str(exc)) from None
        mubert = {k: v for k, v in from_file.items() if k.startswith("MUBERT_")}
        redactor.add(*(mubert.get(name) for name in CREDENTIAL_VARS))
        values.update(mubert)
    return Settings(values)


def sim_state_path() -> pathlib.Path:
    """Where ``--sim`` keeps the simulator's state between runs.

    ``$MUBERT_SIM_STATE`` if set, else ``$XDG_CACHE_HOME/mubert-async/sim-state.pickle``
    (``~/.cache/...`` when ``XDG_CACHE_HOME`` is unset).
    """
    explicit = os.environ.get("MUBERT_SIM_STATE")
    if explicit:
        return pathlib.Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(cache) / "mubert-async" / "sim-state.pickle"


class Simulator:
    """An in-process ``FakeMubert`` with one ready customer, for ``--sim``.

    With a ``state_path`` its records are loaded from there (unless ``reset``) and
    ``save()`` writes them back, so tracks made by one ``--sim`` run are there in
    the next. ``warn`` is told about state that could not be read or written.
    """

    def __init__(
        self,
        generation_time: float,
        state_path: pathlib.Path | None = None,
        *,
        reset: bool = False,
        warn: Callable[[str], None] = lambda _text: None,
    ) -> None:
        from ..testing import FakeMubert
        from ..testing._state import StateError, customer_by_custom_id, load_state

        self.fake: FakeMubert = FakeMubert(generation_time=generation_time, seed=None)
        self.state_path = state_path
        self._warn = warn
        if state_path is not None:
            try:
                if reset:
                    state_path.unlink(missing_ok=True)
                else:
                    load_state(self.fake, state_path)
            except (StateError, OSError) as exc:
                warn(f"note: starting the simulator afresh: {exc}")
        existing = customer_by_custom_id(self.fake, SIM_CUSTOM_ID)
        self.customer: FakeCustomer = existing or self.fake.add_customer(SIM_CUSTOM_ID)

    def save(self) -> None:
        """Write the simulator's records to its state file (if it has one)."""
        from ..testing._state import save_state

        if self.state_path is None:
            return
        try:
            save_state(self.fake, self.state_path)
        except OSError as exc:
            self._warn(f"note: the simulator's state was not saved to {self.state_path}: {exc}")

    def secrets(self) -> tuple[str, ...]:
        """The simulator's tokens (its ids are ordinary data)."""
        return (self.customer.access_token, self.fake.license_token)


@dataclass
class State:
    """The global options of one ``mubert`` run, shared by its command (``ctx.obj``)."""

    redactor: Redactor = field(default_factory=Redactor)
    json: bool = False
    quiet: bool = False
    sim: bool = False
    sim_generation_time: float = 0.5
    sim_reset: bool = False
    env_file: pathlib.Path | None = None
    base_url: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    debug: bool = False
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    """Called when the run ends (for example to detach the ``--debug`` log handler)."""
    log_handler: logging.Handler | None = None
    """The handler sending the SDK's log records to stderr, once attached."""
    _settings: Settings | None = None
    _out: Output | None = None
    _simulator: Simulator | None = None

    @property
    def out(self) -> Output:
        """Where the command writes (JSON mode as set by ``--json``, quiet by ``--quiet``)."""
        if self._out is None:
            self._out = Output(self.redactor)
        self._out.json_mode = self.json
        self._out.quiet = self.quiet
        return self._out

    @property
    def settings(self) -> Settings:
        """The ``MUBERT_*`` settings (environment and ``--env-file``), read on first use."""
        if self._settings is None:
            self._settings = load_settings(self.env_file, self.redactor)
        return self._settings

    def check(self) -> None:
        """Refuse options that exclude each other (once every option is parsed)."""
        if self.sim and self.base_url is not None:
            raise CliError("--sim and --base-url exclude each other")

    @property
    def simulator(self) -> Simulator:
        """The ``--sim`` simulator, made on first use."""
        if self._simulator is None:
            simulator = Simulator(
                self.sim_generation_time,
                sim_state_path(),
                reset=self.sim_reset,
                warn=self.out.note,
            )
            self._simulator = simulator
            self.redactor.add(*simulator.secrets())
            self.cleanups.append(simulator.save)
        return self._simulator

    def _credentials(self, scheme: AuthScheme, hint: str) -> tuple[str, str]:
        id_value, token = self.settings.get(scheme.id_env), self.settings.get(scheme.token_env)
        if id_value is None or token is None:
            missing = " and ".join(
                name
                for name, value in ((scheme.id_env, id_value), (scheme.token_env, token))
                if value is None
            )
            raise CliError(
                f"missing credentials: set {missing} ({hint}) in the environment or in "
                "an --env-file, or try the command on the simulator with --sim"
            )
        return id_value, token

    def _base_url(self) -> str | None:
        return self.base_url if self.base_url is not None else self.settings.get(ENV_BASE_URL)

    @asynccontextmanager
    async def public_client(self) -> AsyncIterator[MubertClient]:
        """A ``MubertClient`` acting as the configured customer (or the simulator's)."""
        from .. import MubertClient

        self.check()
        if self.sim:
            sim = self.simulator
            client = sim.fake.client(sim.customer, timeout=self.timeout)
        else:
            customer_id, token = self._credentials(PUBLIC_AUTH, "the customer's credentials")
            client = MubertClient(
                customer_id, token, base_url=self._base_url(), timeout=self.timeout
            )
        async with client:
            yield client

    @asynccontextmanager
    async def service_client(self) -> AsyncIterator[MubertServiceClient]:
        """A ``MubertServiceClient`` acting as the configured company (or the simulator's)."""
        from .. import MubertServiceClient

        self.check()
        if self.sim:
            client = self.simulator.fake.service_client(timeout=self.timeout)
        else:
            company_id, token = self._credentials(SERVICE_AUTH, "the company's credentials")
            client = MubertServiceClient(
                company_id, token, base_url=self._base_url(), timeout=self.timeout
            )
        async with client:
            yield client

    def run_public(self, call: Callable[[MubertClient], Awaitable[T]]) -> T:
        """``call`` with a ``public_client``, run to completion in a fresh event loop."""

        async def main() -> T:
            async with self.public_client() as client:
                return await call(client)

        return run_async(main)

    def run_service(self, call: Callable[[MubertServiceClient], Awaitable[T]]) -> T:
        """``call`` with a ``service_client``, run to completion in a fresh event loop."""

        async def main() -> T:
            async with self.service_client() as service:
                return await call(service)

        return run_async(main)


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run one command's coroutine to completion in a fresh event loop."""

    async def runner() -> T:
        return await main()

    return asyncio.run(runner())
