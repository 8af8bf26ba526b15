"""mubert_async: the async-first Python SDK for the Mubert AI Music API v3.

.. code-block:: python

    from mubert_async import MubertClient

    async with MubertClient() as client:          # MUBERT_CUSTOMER_ID / MUBERT_ACCESS_TOKEN
        track = await client.tracks.create(prompt="calm piano", duration=60)
"""

# No ``from __future__ import annotations`` here: it would leave a public ``annotations``.
import inspect as _inspect
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from ._base_client import NOT_GIVEN, NotGiven
from ._client import MubertClient, MubertServiceClient
from ._config import DEFAULT_BASE_URL
from ._options import ClientOptions
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
from .generation import BatchProgress, GenerationRun, PollPolicy, ProgressCallback, ReconcilePolicy
from .models import (
    CreateFields,
    Customer,
    CustomerAccess,
    CustomerLimits,
    Format,
    Generation,
    GenerationResult,
    GenerationStatus,
    ImageInput,
    Instrument,
    Intensity,
    LibraryParam,
    License,
    LicenseLimits,
    Mode,
    Page,
    PageMeta,
    Playlist,
    Stem,
    Track,
    TrackRequest,
)
from .transport import MockTransport, Transport

if _TYPE_CHECKING:
    from .transport import AiohttpTransport
    from .transport import HttpxTransport as HttpxTransport  # lazy, not in __all__: an extra

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIError",
    "AiohttpTransport",
    "AuthenticationError",
    "ClientClosedError",
    "BatchProgress",
    "ClientOptions",
    "ConcurrencyLimitError",
    "CreateFields",
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
    "ImageInput",
    "Instrument",
    "Intensity",
    "InvalidRequestError",
    "LibraryParam",
    "License",
    "LicenseForbiddenError",
    "LicenseLimits",
    "LinkExpiredError",
    "MockTransport",
    "Mode",
    "MubertClient",
    "MubertError",
    "MubertServiceClient",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PageMeta",
    "PermissionDeniedError",
    "PollPolicy",
    "Playlist",
    "ProgressCallback",
    "QuotaExceededError",
    "RateLimitError",
    "ReconcilePolicy",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "Stem",
    "Track",
    "TrackRequest",
    "Transport",
    "TransportError",
    "ValidationError",
    "__version__",
]

# Exported names say where users import them from (as httpx does): ``mubert_async.APIError``
# in reprs, tracebacks and pickles, not the private module that defines it. Pickling still
# works because each name is an attribute of this package. The rule: every function, and
# every class without annotations of its own. A class with annotations (the msgspec Structs,
# the dataclasses) keeps its module, because ``typing.get_type_hints`` and msgspec resolve
# its (postponed, string) annotations in ``sys.modules[cls.__module__]``. The lazily
# imported transports keep their module too. ``HttpxTransport`` is not in ``__all__``: a
# star import would then need the optional httpx extra.
for _name in __all__:
    _obj = globals().get(_name)
    if (
        _inspect.isfunction(_obj) or (_inspect.isclass(_obj) and not _inspect.get_annotations(_obj))
    ) and _obj.__module__.startswith(f"{__name__}."):
        _obj.__module__ = __name__
del _name, _obj


def __getattr__(name: str) -> _Any:
    """The transports on aiohttp and httpx, imported on first use (PEP 562)."""
    if name in ("AiohttpTransport", "HttpxTransport"):
        from . import transport

        return getattr(transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
