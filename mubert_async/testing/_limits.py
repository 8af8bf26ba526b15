"""Usage counters and limits of a license or a customer, with their daily/monthly resets.

``-1`` in any limit means unlimited. Both licenses and customers keep the same
track and streaming counters; a license also has customer defaults
(``customer_*``), the customer count and ``max_track_duration``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._clock import day_start, month_start, rfc3339
from ._http import HttpError, api_error

__all__ = ["CUSTOMER_FIELDS", "LICENSE_FIELDS", "PERIODS", "Usage", "customer_defaults"]

PERIODS = ("daily", "monthly", "total")

_COUNTERS = tuple(
    f"{period}_{name}"
    for period in ("total", "monthly", "daily")
    for name in ("tracks_count", "tracks_duration", "streaming_duration")
)
_SHARED = tuple(
    name
    for period in ("total", "monthly", "daily")
    for kind in ("tracks_count", "tracks_duration")
    for name in (f"{period}_{kind}", f"{period}_{kind}_limit")
) + tuple(
    name
    for period in ("total", "monthly", "daily")
    for name in (f"{period}_streaming_duration", f"{period}_streaming_duration_limit")
)
CUSTOMER_FIELDS = ("max_concurrent_track_generations", *_SHARED)
"""Integer fields of CustomerLicenseLimit, in the spec's order."""

_CUSTOMER_DEFAULTS = tuple(
    f"customer_{name}" for name in CUSTOMER_FIELDS if name.endswith("_limit")
)
LICENSE_FIELDS = (
    "max_track_duration",
    "max_concurrent_track_generations",
    *_SHARED,
    "customers_count",
    "customers_count_limit",
    "customer_max_concurrent_track_generations",
    *_CUSTOMER_DEFAULTS,
)
"""Integer fields of LicenseLimit, in the spec's order."""


def _initial(name: str) -> int:
    return -1 if name.endswith("_limit") or name.startswith(("max_", "customer_max_")) else 0


def customer_defaults(license_values: Mapping[str, int]) -> dict[str, int]:
    """A new customer's limits, taken from the license's ``customer_*`` fields."""
    return {
        name: license_values[f"customer_{name}"]
        for name in CUSTOMER_FIELDS
        if f"customer_{name}" in license_values
    }


class Usage:
    """Counters and limits (``values``) plus the moments of the last daily/monthly reset."""

    __slots__ = ("_day", "_fields", "daily_reset_at", "id", "monthly_reset_at", "values")

    def __init__(
        self,
        id: str,
        fields: Iterable[str],
        now: float,
        initial: Mapping[str, int] | None = None,
    ) -> None:
        self.id = id
        self._fields = tuple(fields)
        self.values: dict[str, int] = {name: _initial(name) for name in self._fields}
        self.values.update(initial or {})
        self.daily_reset_at = day_start(now)
        self.monthly_reset_at = month_start(now)
        self._day = int(now // 86400)

    def update(self, fields: Mapping[str, Any]) -> None:
        """Set counters or limits by name; unknown names raise TypeError."""
        unknown = sorted(set(fields) - set(self._fields))
        if unknown:
            raise TypeError(f"unknown limit field(s): {', '.join(unknown)}")
        for name, value in fields.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {value!r}")
            self.values[name] = value

    def roll(self, now: float) -> None:
        """Zero the daily (and monthly) counters when ``now`` is in a new UTC day (month)."""
        day = int(now // 86400)
        if day == self._day:
            return
        self._day = day
        self.daily_reset_at = day_start(now)
        self._zero("daily_")
        if month_start(now) != self.monthly_reset_at:
            self.monthly_reset_at = month_start(now)
            self._zero("monthly_")

    def _zero(self, prefix: str) -> None:
        for name in _COUNTERS:
            if name.startswith(prefix):
                self.values[name] = 0

    def tracks_error(self, duration: int) -> HttpError | None:
        """The 403 one more track of ``duration`` seconds would cause, if any."""
        v = self.values
        for period in PERIODS:
            count, limit = v[f"{period}_tracks_count"], v[f"{period}_tracks_count_limit"]
            if limit != -1 and count + 1 > limit:
                return api_error(
                    "LicenseLimitTracksCount",
                    type=period,
                    tracks_count=count,
                    tracks_count_limit=limit,
                )
            used, limit = v[f"{period}_tracks_duration"], v[f"{period}_tracks_duration_limit"]
            if limit != -1 and used + duration > limit:
                return api_error(
                    "LicenseLimitTracksDuration",
                    type=period,
                    tracks_duration=used,
                    tracks_duration_limit=limit,
                    track_duration=duration,
                )
        return None

    def streaming_error(self) -> HttpError | None:
        """The 403 for a streaming quota that is used up, if any."""
        v = self.values
        for period in PERIODS:
            used = v[f"{period}_streaming_duration"]
            limit = v[f"{period}_streaming_duration_limit"]
            if limit != -1 and used >= limit:
                return api_error(
                    "LicenseLimitStreamingDuration",
                    type=period,
                    streaming_duration=used,
                    streaming_duration_limit=limit,
                )
        return None

    def add_track(self, duration: int) -> None:
        """Count one more track of ``duration`` seconds in every period."""
        for period in PERIODS:
            self.values[f"{period}_tracks_count"] += 1
            self.values[f"{period}_tracks_duration"] += duration

    def to_json(self, **owner: str) -> dict[str, Any]:
        """The API's limits object: id, owner ids, every field, the reset moments."""
        return {
            "id": self.id,
            **owner,
            **self.values,
            "daily_reset_at": rfc3339(self.daily_reset_at),
            "monthly_reset_at": rfc3339(self.monthly_reset_at),
        }
