"""The two clients: ``MubertClient`` (public directory) and ``MubertServiceClient`` (service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base_client import BaseClient
from ._config import PUBLIC_AUTH, SERVICE_AUTH
from ._options import ClientOptions, ClientSettings, signature
from .coordination import Coordination, InProcessCoordination
from .errors import InvalidRequestError
from .generation._engine import GenerationEngine
from .generation._limiter import GenerationLimiter, LimitLevel
from .models import Customer
from .resources import Customers, Library, Licenses, Playlists, Streaming, Tracks

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .generation._completion import CompletionSource

__all__ = ["MubertClient", "MubertServiceClient"]


class MubertClient(BaseClient):
    """Client of the public directory, acting as one customer.

    Credentials default to ``MUBERT_CUSTOMER_ID`` and ``MUBERT_ACCESS_TOKEN``. Use it
    as ``async with MubertClient() as client:`` or call ``await client.aclose()``.
    The keyword options (``base_url``, ``transport``, ``timeout``, ``max_retries``,
    ``retry``, ``max_concurrent_generations``, ``poll``, ``reconcile``,
    ``coordination``, ``webhooks``) are described in ``ClientOptions``.
    """

    _auth = PUBLIC_AUTH
    _engine: GenerationEngine

    def __init__(
        self,
        customer_id: str | None = None,
        access_token: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(customer_id, access_token, options)

    __init__.__signature__ = signature("customer_id", "access_token")  # type: ignore[attr-defined]

    def _init_state(self) -> None:
        if "_engine" in self.__dict__:  # a service's customer client: given its engine
            return
        settings = self._settings
        coordination = _coordination(settings)
        customer = self._credentials.id_value
        level = LimitLevel(
            coordination, f"customer:{customer}", settings.max_concurrent_generations
        )
        self._engine = _engine(settings, coordination, GenerationLimiter([level], group=customer))

    def _init_resources(self) -> None:
        self._playlists = Playlists(self)
        self._streaming = Streaming(self)
        self._tracks = Tracks(self, self._engine)
        self._library = Library(self)

    @property
    def playlists(self) -> Playlists:
        """Channels to generate from: ``await client.playlists.list()``."""
        return self._playlists

    @property
    def streaming(self) -> Streaming:
        """Stream links and stream control: ``get_link``, ``set_loop``, ``set_intensity``."""
        return self._streaming

    @property
    def tracks(self) -> Tracks:
        """Track generation and lookup: ``create``, ``generate``, ``generate_many``, ``wait``."""
        return self._tracks

    @property
    def library(self) -> Library:
        """The curated music library: ``params``, ``tracks``, ``iter_tracks``."""
        return self._library

    @property
    def max_concurrent_generations(self) -> int | None:
        """Generations this customer may have in flight: the tightest known or learned limit.

        None while it is still being learned, -1 for unlimited.
        """
        limiter = self._engine.limiter
        if limiter.learning:
            return None
        return -1 if limiter.limit is None else limiter.limit

    @property
    def generations_in_flight(self) -> int:
        """Generations started through this customer's clients and not yet seen finished."""
        return self._engine.limiter.in_flight


class MubertServiceClient(BaseClient):
    """Client of the service directory, acting as the company.

    Credentials default to ``MUBERT_COMPANY_ID`` and ``MUBERT_LICENSE_TOKEN``; the
    keyword options are those of ``MubertClient`` (``ClientOptions``), handed on to
    its customer clients. ``customer_client(customer)`` gives a ``MubertClient`` for
    one of its customers; all of them share one license-wide concurrency limit
    (``max_concurrent_generations`` here, else the license's as the customer records
    carry it, else learned), through ``coordination`` when one is given.
    """

    _auth = SERVICE_AUTH

    def __init__(
        self,
        company_id: str | None = None,
        license_token: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(company_id, license_token, options)

    __init__.__signature__ = signature("company_id", "license_token")  # type: ignore[attr-defined]

    def _init_state(self) -> None:
        self._coordination = _coordination(self._settings)
        self._engines: dict[str, GenerationEngine] = {}
        self._license_levels: dict[str, LimitLevel] = {}

    def _init_resources(self) -> None:
        self._licenses = Licenses(self)
        self._customers = Customers(self)

    @property
    def licenses(self) -> Licenses:
        """The company's licenses: ``list``, ``get``, ``update`` (webhook URL)."""
        return self._licenses

    @property
    def customers(self) -> Customers:
        """The company's customers: ``create``, ``get_or_create``, ``list``, ``delete``..."""
        return self._customers

    def customer_client(self, customer: Customer) -> MubertClient:
        """A ``MubertClient`` acting as ``customer``, sharing this client's transport.

        A generation of it holds a slot in the customer's own limit (the customer's
        ``max_concurrent_track_generations`` and the license's
        ``customer_max_concurrent_track_generations``) and in the license-wide one
        that every customer client of this service (and, with ``RedisCoordination``,
        of every process) shares. Close it or not as you like; the shared transport
        closes with this service client.
        """
        if not isinstance(customer, Customer):
            raise InvalidRequestError("customer", "must be a Customer from service.customers")
        access = customer.access
        if access is None or not access.token:
            raise InvalidRequestError(
                "customer",
                "has no access token; use the Customer returned by customers.create/get",
            )
        client_id = access.customer_id or customer.id
        settings = self._settings.replace(transport=self.transport, base_url=self.base_url)
        engine = self._engines.get(client_id)
        if engine is None:
            levels = [
                LimitLevel(
                    self._coordination,
                    f"customer:{client_id}",
                    _customer_limit(customer),
                    guess=None,  # unknown: bounded by the license until a 403 says more
                ),
                self._license_level(customer),
            ]
            limiter = GenerationLimiter(levels, group=client_id)
            engine = self._engines[client_id] = _engine(settings, self._coordination, limiter)
        # Every client of one customer shares one limiter, one ledger, one learned timing.
        client = MubertClient.__new__(MubertClient)
        client._engine = engine
        client._setup(client_id, access.token, settings)
        return client

    def _license_level(self, customer: Customer) -> LimitLevel:
        """The license-wide limit the customer's generations count against (one per license)."""
        license = customer.access.license if customer.access else None
        key = license.id if license is not None and license.id else self._credentials.id_value
        level = self._license_levels.get(key)
        if level is not None:
            return level
        known = self._settings.max_concurrent_generations
        if known is None and license is not None and license.license_limits is not None:
            known = _known(license.license_limits.max_concurrent_track_generations)
        # Unknown: start at one and grow with each create that succeeds while every slot
        # is taken (doubling per round trip), so the first 403 comes at the limit plus
        # one, not at a guess far above it.
        level = self._license_levels[key] = LimitLevel(
            self._coordination, f"license:{key}", known, guess=1
        )
        return level


def _coordination(settings: ClientSettings) -> Coordination:
    return settings.coordination if settings.coordination is not None else InProcessCoordination()


def _engine(
    settings: ClientSettings, coordination: Coordination, limiter: GenerationLimiter
) -> GenerationEngine:
    """A customer's engine: its limiter, the shared timings, and where completions come from."""
    completion: CompletionSource | None = None
    if settings.webhooks is not None:
        from .webhooks._completion import WebhookCompletion

        completion = WebhookCompletion(settings.webhooks, settings.poll)
    return GenerationEngine(
        limiter,
        shared_times=coordination.timings("generation-times"),
        poll=settings.poll,
        reconcile=settings.reconcile,
        completion=completion,
    )


def _known(limit: int | None) -> int | None:
    """A record's limit if it says one (-1: unlimited, or a positive count), else None."""
    return limit if limit is not None and (limit == -1 or limit >= 1) else None


def _customer_limit(customer: Customer) -> int | None:
    """The customer's own limit: its record's and the license's per-customer one.

    -1 when the records say there is none, None when they say nothing (learned).
    """
    access = customer.access
    found: list[int | None] = []
    if access is not None and access.customer_limits is not None:
        found.append(_known(access.customer_limits.max_concurrent_track_generations))
    if access is not None and access.license is not None and access.license.license_limits:
        limits = access.license.license_limits
        found.append(_known(limits.customer_max_concurrent_track_generations))
    known = [limit for limit in found if limit is not None]
    bounded = [limit for limit in known if limit != -1]
    return min(bounded) if bounded else -1 if known else None
