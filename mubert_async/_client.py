"""The two clients: ``MubertClient`` (public directory) and ``MubertServiceClient`` (service)."""

from __future__ import annotations

from ._base_client import BaseClient
from ._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, PUBLIC_AUTH, SERVICE_AUTH
from ._retry import RetryPolicy
from ._validation import check_int
from .errors import InvalidRequestError
from .generation import PollPolicy, ReconcilePolicy
from .generation._engine import GenerationEngine
from .models import Customer
from .resources import Customers, Library, Licenses, Playlists, Streaming, Tracks
from .transport import Transport

__all__ = ["MubertClient", "MubertServiceClient"]


def _check_concurrency(value: int | None) -> int | None:
    if value is None or value == -1:
        return value
    return check_int("max_concurrent_generations", value, minimum=1)


class MubertClient(BaseClient):
    """Client of the public directory, acting as one customer.

    Credentials default to ``MUBERT_CUSTOMER_ID`` and ``MUBERT_ACCESS_TOKEN``; the
    base URL to ``MUBERT_BASE_URL`` or production. Use it as ``async with
    MubertClient() as client:`` or call ``await client.aclose()``.
    ``max_concurrent_generations`` caps generations in flight (None: learn it from
    the server; -1: unlimited). ``poll`` tunes how waits poll, ``reconcile`` how long a
    create whose outcome is unknown is looked for before it is sent again.
    """

    _auth = PUBLIC_AUTH

    def __init__(
        self,
        customer_id: str | None = None,
        access_token: str | None = None,
        *,
        base_url: str | None = None,
        transport: Transport | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrent_generations: int | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        reconcile: ReconcilePolicy | None = None,
    ) -> None:
        self._engine = GenerationEngine(
            _check_concurrency(max_concurrent_generations), poll, reconcile
        )
        super().__init__(
            customer_id,
            access_token,
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )

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
        """Generations this customer may have in flight: the known or learned limit.

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

    Credentials default to ``MUBERT_COMPANY_ID`` and ``MUBERT_LICENSE_TOKEN``.
    ``customer_client(customer)`` gives a ``MubertClient`` for one of its customers.
    """

    _auth = SERVICE_AUTH

    def __init__(
        self,
        company_id: str | None = None,
        license_token: str | None = None,
        *,
        base_url: str | None = None,
        transport: Transport | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            company_id,
            license_token,
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )

    def _init_resources(self) -> None:
        self._engines: dict[str, GenerationEngine] = getattr(self, "_engines", {})
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

        Its concurrency limit is the tighter of the customer's and the license's
        limits when the customer record carries them. Close it or not as you like;
        the shared transport closes with this service client.
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
        client = MubertClient(
            client_id,
            access.token,
            base_url=self.base_url,
            transport=self.transport,
            timeout=self.timeout,
            max_retries=self.max_retries,
            max_concurrent_generations=customer.max_concurrent_generations,
            retry=self.retry,
        )
        # Every client of one customer shares one limiter, one ledger, one learned timing.
        client._engine = self._engines.setdefault(client_id, client._engine)
        client._init_resources()
        return client
