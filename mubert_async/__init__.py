"""mubert_async: the async-first Python SDK for the Mubert AI Music API v3.

.. code-block:: python

    from mubert_async import MubertClient

    async with MubertClient() as client:          # MUBERT_CUSTOMER_ID / MUBERT_ACCESS_TOKEN
        track = await client.tracks.create(prompt="calm piano", duration=60)
"""

from __future__ import annotations

from ._base_client import NOT_GIVEN, NotGiven
from ._client import MubertClient, MubertServiceClient
from ._config import DEFAULT_BASE_URL
from ._retry import RetryPolicy
from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    ConcurrencyLimitError,
    CoordinationError,
    CreateOutcomeUnknownError,
    GenerationFailedError,
    GenerationTimeoutError,
    InvalidRequestError,
    LicenseForbiddenError,
    LinkExpiredError,
    MubertError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestTimeout,
    ServerError,
    TransportError,
    ValidationError,
)
from .generation import BatchProgress, GenerationRun, PollPolicy, ReconcilePolicy
from .models import (
    Customer,
    CustomerAccess,
    CustomerLimits,
    Format,
    Generation,
    GenerationResult,
    GenerationStatus,
    Instrument,
    Intensity,
    LibraryParam,
    License,
    LicenseLimits,
    Mode,
    Page,
    Playlist,
    Stem,
    Track,
    TrackRequest,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIError",
    "AuthenticationError",
    "ClientClosedError",
    "BatchProgress",
    "ConcurrencyLimitError",
    "CoordinationError",
    "CreateOutcomeUnknownError",
    "Customer",
    "CustomerAccess",
    "CustomerLimits",
    "Format",
    "Generation",
    "GenerationFailedError",
    "GenerationResult",
    "GenerationRun",
    "GenerationStatus",
    "GenerationTimeoutError",
    "Instrument",
    "Intensity",
    "InvalidRequestError",
    "LibraryParam",
    "License",
    "LicenseForbiddenError",
    "LicenseLimits",
    "LinkExpiredError",
    "Mode",
    "MubertClient",
    "MubertError",
    "MubertServiceClient",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PermissionDeniedError",
    "PollPolicy",
    "Playlist",
    "QuotaExceededError",
    "RateLimitError",
    "ReconcilePolicy",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "Stem",
    "Track",
    "TrackRequest",
    "TransportError",
    "ValidationError",
    "__version__",
]
