"""FakeMubert: the in-memory Mubert v3 simulator and its controls."""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from ..errors import TransportError
from ..transport._base import Request, Response
from . import _handlers_public, _handlers_service, _handlers_tracks
from ._clock import http_date
from ._engine import Engine, GenerationTime
from ._faults import Exchange, FaultSet, run_exchange
from ._handlers_files import serve_file
from ._model import FakeCustomer, FakeStats
from ._router import Router
from ._spec import CUSTOMER_STATUSES
from ._transport import FakeTransport
from ._webhooks import Post, WebhookFaults, WebhookSender

if TYPE_CHECKING:
    from .. import MubertClient, MubertServiceClient

__all__ = ["FakeMubert"]

DEFAULT_BASE_URL = "https://music-api.mubert.com/api/v3"
DEFAULT_FILES_BASE_URL = "https://storage.fake-mubert.test/tracks"


def _timing(generation_time: float | GenerationTime) -> GenerationTime:
    """``generation_time`` as a function of the request's fields."""
    if callable(generation_time):
        return generation_time
    seconds = float(generation_time)

    def timing(_fields: Mapping[str, Any]) -> float:
        return seconds

    return timing


class _LateCommit:
    """A request received but not yet committed (``Fault.late_commit``), and its answer."""

    __slots__ = ("request", "response")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.response: Response | None = None


def _seeded(seed: int | None, purpose: str) -> int | str | None:
    """Independent but reproducible seeds for each of the fake's random streams."""
    return None if seed is None else f"{seed}:{purpose}"


class _Receiver(Protocol):
    """What ``deliver_webhooks`` needs of a ``WebhookReceiver``."""

    async def handle(self, token: str, body: bytes) -> int: ...


def _into(receiver: _Receiver) -> Post:
    """Deliver to ``receiver`` in process: the URL's last path segment is the token."""

    async def post(url: str, body: bytes) -> int:
        return await receiver.handle(url.rstrip("/").rsplit("/", 1)[-1], body)

    return post


class FakeMubert:
    """An in-memory, stateful Mubert v3 API for tests: every endpoint, its errors and limits.

    It starts with one company and one license that allows everything without limits.
    Generations take ``generation_time`` seconds of ``clock`` time (a number, or a
    function of the request's fields) and fail with probability ``failure_rate``;
    they advance lazily whenever the fake is asked something, so a ``ManualClock``
    gives full control. Requests reach it through ``fake.transport()`` (or the HTTP
    server in ``mubert_async.sim``); ``fake.faults`` distorts them.

    ``service_envelope`` wraps single objects of the service directory in
    ``{"data": ...}`` as the guide shows (the OpenAPI document has them bare);
    ``intensity_as_int`` writes track intensities as 1/2/3 like a third-party schema.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        generation_time: float | GenerationTime = 0.0,
        failure_rate: float = 0.0,
        seed: int | None = 0,
        base_url: str = DEFAULT_BASE_URL,
        files_base_url: str = DEFAULT_FILES_BASE_URL,
        service_envelope: bool = False,
        intensity_as_int: bool = False,
        record_requests: bool = True,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        self._engine = Engine(
            clock=clock or time.time,
            generation_time=_timing(generation_time),
            failure_rate=failure_rate,
            id_seed=_seeded(seed, "ids"),
            failure_seed=_seeded(seed, "failures"),
            files_base_url=files_base_url,
            service_envelope=service_envelope,
            intensity_as_int=intensity_as_int,
        )
        self._router = Router(
            self._engine,
            (_handlers_service.routes, _handlers_public.routes, _handlers_tracks.routes),
            serve_file,
        )
        self.base_url = base_url
        """The API base URL clients made by ``client()``/``service_client()`` use."""
        self.faults = FaultSet(_seeded(seed, "faults"))
        """Faults ``exchange`` applies: ``fake.faults.add(Fault.server_error())``."""
        self.requests: list[Request] = []
        """Every request received (when ``record_requests``)."""
        self.record_requests = record_requests
        self._default_customer: FakeCustomer | None = None
        self._late: list[tuple[float, int, _LateCommit]] = []
        self._seq = 0
        self._webhook_random = random.Random(_seeded(seed, "webhooks"))

    # -- identity and state ------------------------------------------------------------

    @property
    def company_id(self) -> str:
        """The company's id (header ``company-id``)."""
        return self._engine.company_id

    @property
    def license_token(self) -> str:
        """The license token (header ``license-token``)."""
        return self._engine.license_token

    @property
    def license_id(self) -> str:
        """The id of the company's only license."""
        return self._engine.license.id

    @property
    def files_base_url(self) -> str:
        """Where generation files are served; tracks' urls start with it."""
        return self._engine.files_base_url

    @files_base_url.setter
    def files_base_url(self, value: str) -> None:
        self._engine.files_base_url = value.rstrip("/")

    @property
    def generation_time(self) -> GenerationTime:
        """Seconds of clock time a generation takes, as a function of the request's fields.

        Set it to a number or a function: ``fake.generation_time = 30``. It applies to
        generations created from then on.
        """
        return self._engine.generation_time

    @generation_time.setter
    def generation_time(self, value: float | GenerationTime) -> None:
        self._engine.generation_time = _timing(value)

    @property
    def track_store_enabled(self) -> bool:
        """Whether ``POST /public/tracks/stored`` works (else 403 LicenseForbiddenFeature)."""
        return self._engine.track_store_enabled

    @track_store_enabled.setter
    def track_store_enabled(self, value: bool) -> None:
        self._engine.track_store_enabled = value

    @property
    def stats(self) -> FakeStats:
        """Counters: requests, creates, generations, polls, rejections, faults, peak in flight."""
        return self._engine.stats

    @property
    def in_flight(self) -> int:
        """Generations processing right now, license-wide."""
        self._tick()
        return self._engine.in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most generations that were processing at once."""
        return self._engine.stats.peak_in_flight

    @property
    def webhooks(self) -> list[tuple[str, dict[str, Any]]]:
        """(url, track JSON) for each generation that finished while the webhook was enabled."""
        self._tick()
        return self._engine.webhooks

    def _tick(self) -> None:
        engine = self._engine
        now = engine.clock()
        self._commit_due(now)
        engine.tick(now)

    def webhook_sender(
        self, post: Post, *, faults: WebhookFaults | None = None, interval: float = 0.05
    ) -> WebhookSender:
        """A ``WebhookSender`` of this fake's deliveries (its ``run()`` delivers until cancelled).

        Each finished generation is delivered once, by whichever sender takes it first.
        """
        return WebhookSender(
            self._engine,
            self._engine.stats,
            post,
            faults=faults,
            rng=self._webhook_random,
            interval=interval,
        )

    def deliver_webhooks(
        self,
        to: _Receiver | Post,
        *,
        faults: WebhookFaults | None = None,
        interval: float = 0.05,
    ) -> WebhookSender:
        """``async with`` it: meanwhile each finished generation is delivered to ``to``.

        ``to`` is a ``WebhookReceiver`` (the token is the last path segment of the
        license's ``webhook_url``, so register ``receiver.webhook_url(...)``) or any
        ``async post(url, body) -> status``. The fake's clock is looked at when the
        next generation is due, and at least every ``interval`` seconds; ``faults``
        loses, duplicates, delays or reorders deliveries. Deliveries still pending on
        leaving are dropped. The ``mubert_async.webhooks`` module shows an example.
        """
        post = to if callable(to) else _into(to)
        return self.webhook_sender(post, faults=faults, interval=interval)

    # -- provisioning ----------------------------------------------------------------

    def add_customer(self, custom_id: str | None = None) -> FakeCustomer:
        """Create a customer directly (no HTTP, no customer-count limit) and return it."""
        engine = self._engine
        if custom_id is None:
            number = len(engine.customers) + 1
            while f"customer-{number}" in engine.by_custom_id:
                number += 1
            custom_id = f"customer-{number}"
        return engine.add_customer(custom_id, engine.clock())

    def set_license(self, **fields: Any) -> None:
        """Change license settings, e.g. ``features=["track"]``, ``status="inactive"``.

        Giving a list (``features``, ``bitrates``, ``intensities``, ``track_formats``,
        ``track_modes``) without its ``allow_all_*`` flag sets that flag to False, so
        the list takes effect. ``expired_at`` is in epoch seconds (None: never expires).
        """
        self._engine.set_license(fields)

    def set_license_limits(self, **fields: int) -> None:
        """Change license limits or counters, e.g. ``max_concurrent_track_generations=4``.

        The ``customer_*`` defaults also apply to customers that already exist.
        """
        self._engine.set_license_limits(fields)

    def set_customer_limits(self, customer_id: str | FakeCustomer, **fields: int) -> None:
        """Change one customer's limits or counters, e.g. ``daily_tracks_count_limit=5``."""
        self._customer(customer_id).limits.update(fields)

    def set_customer(
        self,
        customer_id: str | FakeCustomer,
        *,
        status: str | None = None,
        access_expired_at: float | None = None,
    ) -> None:
        """Change a customer's ``status`` (init/active/banned) or token expiry (epoch seconds)."""
        customer = self._customer(customer_id)
        if status is not None:
            if status not in CUSTOMER_STATUSES:
                raise ValueError(f"status must be one of {CUSTOMER_STATUSES}")
            customer.status = status
        if access_expired_at is not None:
            customer.access_expired_at = access_expired_at

    def _customer(self, ref: str | FakeCustomer) -> FakeCustomer:
        customer_id = ref.id if isinstance(ref, FakeCustomer) else ref
        try:
            return self._engine.customers[customer_id]
        except KeyError:
            raise KeyError(f"no customer {customer_id!r}") from None

    # -- serving ---------------------------------------------------------------------

    def transport(self) -> FakeTransport:
        """A Transport that serves requests from this fake (faults and timeouts applied)."""
        return FakeTransport(self)

    async def handle(self, request: Request) -> Response:
        """Answer ``request`` as the API would (no faults; nothing recorded)."""
        now = self._engine.clock()
        self._commit_due(now)
        return self._dispatch(request, now)

    async def handle_late(self, request: Request, delay: float) -> Response:
        """Commit ``request`` ``delay`` seconds of the fake's clock from now, then answer it.

        The commit happens at that moment whether or not anyone still waits for the
        answer (a client that timed out sees the track appear later), like a server
        whose database write is slow. The answer comes once the commit is done.
        """
        engine = self._engine
        pending = _LateCommit(request)
        self._seq += 1
        heapq.heappush(self._late, (engine.clock() + max(0.0, delay), self._seq, pending))
        await anyio.sleep(delay)
        while pending.response is None:  # a manual clock that has not reached it yet
            self._commit_due(engine.clock())
            if pending.response is None:
                await anyio.sleep(0.01)
        return pending.response

    def _commit_due(self, now: float) -> None:
        """Process the late commits whose moment has come, each at its own moment."""
        late = self._late
        while late and late[0][0] <= now:
            at, _, pending = heapq.heappop(late)
            pending.response = self._dispatch(pending.request, at)

    def _dispatch(self, request: Request, now: float) -> Response:
        engine = self._engine
        engine.tick(now)
        response = self._router.dispatch(request, now)
        # Every HTTP server dates its answers; clients may read the server's clock from it.
        return Response(
            response.status,
            {**response.headers, "date": http_date(int(now))},
            response.content,
        )

    async def exchange(self, request: Request, *, stream: bool = False) -> Exchange:
        """Receive ``request`` as over a connection: record it, apply the first fault, answer.

        What ``FakeTransport`` and the HTTP simulator serve through. The request is
        counted (and kept in ``requests`` when ``record_requests``); the first of
        ``faults`` that acts on it (``reset_during_body`` only when ``stream``) is
        counted in ``stats.faults_injected`` and distorts the answer.
        """
        self._engine.stats.requests += 1
        if self.record_requests:
            self.requests.append(request)
        fault = self.faults.pick(request, stream=stream)
        if fault is not None:
            self._engine.stats.faults_injected += 1
        try:
            response = await run_exchange(fault, request, self)
        except TransportError as exc:  # connect_error, reset_before, reset_after
            return Exchange(None, fault, exc)
        return Exchange(response, fault)

    # -- clients ---------------------------------------------------------------------

    def client(self, customer: FakeCustomer | None = None, **kwargs: Any) -> MubertClient:
        """A ``MubertClient`` for ``customer`` (default: one created on first use) on this fake."""
        from .. import MubertClient

        if customer is None:
            if self._default_customer is None:
                self._default_customer = self.add_customer()
            customer = self._default_customer
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("transport", self.transport())
        return MubertClient(customer.id, customer.access_token, **kwargs)

    def service_client(self, **kwargs: Any) -> MubertServiceClient:
        """A ``MubertServiceClient`` with the company's credentials on this fake."""
        from .. import MubertServiceClient

        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("transport", self.transport())
        return MubertServiceClient(self.company_id, self.license_token, **kwargs)

    def __repr__(self) -> str:
        engine = self._engine
        return (
            f"FakeMubert(base_url={self.base_url!r}, customers={len(engine.customers)}, "
            f"tracks={len(engine.tracks)}, in_flight={engine.in_flight})"
        )
