"""The options both clients take, defined once: their names and types, defaults and checks."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from typing import Any, TypedDict

from ._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from ._retry import RetryPolicy
from ._validation import check_int, check_timeout
from .coordination import Coordination
from .errors import InvalidRequestError
from .generation._polling import PollPolicy
from .generation._reconcile import ReconcilePolicy
from .transport._base import Transport
from .webhooks._receiver import WebhookReceiver

__all__ = ["ClientOptions", "ClientSettings", "signature"]


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``MubertClient`` and ``MubertServiceClient`` (for type hints).

    ``base_url``: the API (default ``MUBERT_BASE_URL`` or production; plain http only
    to loopback). ``transport``: how requests are sent (default: aiohttp, owned and
    closed by the client). ``timeout``: seconds per HTTP request (None: no limit).
    ``max_retries``: repeats of a failed request when that is safe. ``retry``: the
    backoff. ``max_concurrent_generations``: generations in flight (None: learn it;
    -1: unlimited); for a service client, the license-wide limit of its customer
    clients. ``poll``: how waits poll. ``reconcile``: how long a create whose outcome
    is unknown is looked for before it is sent again. ``coordination``: where the
    shared limits and timings live (None: this process; ``RedisCoordination``: every
    process using that Redis). ``webhooks``: a ``WebhookReceiver`` that waits hear of
    completions from (polling only as a slow fallback).
    """

    base_url: str | None
    transport: Transport | None
    timeout: float | None
    max_retries: int
    max_concurrent_generations: int | None
    retry: RetryPolicy | None
    poll: PollPolicy | None
    reconcile: ReconcilePolicy | None
    coordination: Coordination | None
    webhooks: WebhookReceiver | None


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    """``ClientOptions`` checked and with their defaults filled in."""

    base_url: str | None = None
    transport: Transport | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_concurrent_generations: int | None = None
    retry: RetryPolicy | None = None
    poll: PollPolicy | None = None
    reconcile: ReconcilePolicy | None = None
    coordination: Coordination | None = None
    webhooks: WebhookReceiver | None = None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> ClientSettings:
        """Settings from keyword options; TypeError for a name that is not an option."""
        unknown = sorted(set(options) - _NAMES)
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
        return cls(**options)

    def __post_init__(self) -> None:
        if self.timeout is not None:
            object.__setattr__(self, "timeout", check_timeout("timeout", self.timeout))
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidRequestError("max_retries", f"must be an integer >= 0, got {retries!r}")
        limit = self.max_concurrent_generations
        if limit is not None and limit != -1:
            check_int("max_concurrent_generations", limit, minimum=1)
        for name, kind in _KINDS.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise InvalidRequestError(
                    name, f"must be a {kind.__name__}, got {type(value).__name__}"
                )

    def replace(self, **changes: Any) -> ClientSettings:
        """These settings with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes)


_NAMES = frozenset(field.name for field in dataclasses.fields(ClientSettings))


_KINDS: dict[str, type] = {
    "retry": RetryPolicy,
    "poll": PollPolicy,
    "reconcile": ReconcilePolicy,
    "coordination": Coordination,
    "webhooks": WebhookReceiver,
}
"""What each object option must be."""


def signature(id_name: str, token_name: str) -> inspect.Signature:
    """A client ``__init__``'s signature as ``inspect`` and ``help()`` should show it.

    The two credentials, then every option as a keyword with its default: what
    ``**options: Unpack[ClientOptions]`` means, spelt out.
    """
    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(
            inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="str | None"
            )
            for name in (id_name, token_name)
        ),
        *(
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=field.default,
                annotation=field.type,
            )
            for field in dataclasses.fields(ClientSettings)
        ),
    ]
    return inspect.Signature(parameters, return_annotation="None")
