"""The ``mubert_async`` logger and the redaction applied to everything it logs."""

from __future__ import annotations

import logging
from collections.abc import Mapping

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "logger", "redact_headers"]

logger = logging.getLogger("mubert_async")
"""Parent logger of the SDK. Request lines are logged at DEBUG, retries at INFO."""

REDACTED = "[REDACTED]"
SENSITIVE_HEADERS = frozenset({"customer-id", "access-token", "company-id", "license-token"})
"""Headers whose values are credentials."""


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with every credential replaced by ``[REDACTED]``."""
    return {k: REDACTED if k.lower() in SENSITIVE_HEADERS else v for k, v in headers.items()}
