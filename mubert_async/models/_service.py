"""Licenses and customers of the service directory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["Customer", "CustomerAccess", "CustomerLimits", "License", "LicenseLimits"]


class _Limits(msgspec.Struct, kw_only=True, frozen=True):
    """Usage counters and limits shared by licenses and customers; -1 means unlimited."""

    id: str | None = None
    license_id: str | None = None
    max_concurrent_track_generations: int = -1
    total_tracks_count: int = 0
    total_tracks_count_limit: int = -1
    total_tracks_duration: int = 0
    total_tracks_duration_limit: int = -1
    monthly_tracks_count: int = 0
    monthly_tracks_count_limit: int = -1
    monthly_tracks_duration: int = 0
    monthly_tracks_duration_limit: int = -1
    daily_tracks_count: int = 0
    daily_tracks_count_limit: int = -1
    daily_tracks_duration: int = 0
    daily_tracks_duration_limit: int = -1
    total_streaming_duration: int = 0
    total_streaming_duration_limit: int = -1
    monthly_streaming_duration: int = 0
    monthly_streaming_duration_limit: int = -1
    daily_streaming_duration: int = 0
    daily_streaming_duration_limit: int = -1
    daily_reset_at: datetime | None = None
    monthly_reset_at: datetime | None = None


class LicenseLimits(_Limits, kw_only=True, frozen=True):
    """A license's limits, its usage so far, and the defaults for its customers."""

    max_track_duration: int = -1
    customers_count: int = 0
    customers_count_limit: int = -1
    customer_max_concurrent_track_generations: int = -1
    customer_total_tracks_count_limit: int = -1
    customer_total_tracks_duration_limit: int = -1
    customer_monthly_tracks_count_limit: int = -1
    customer_monthly_tracks_duration_limit: int = -1
    customer_daily_tracks_count_limit: int = -1
    customer_daily_tracks_duration_limit: int = -1
    customer_total_streaming_duration_limit: int = -1
    customer_monthly_streaming_duration_limit: int = -1
    customer_daily_streaming_duration_limit: int = -1


class CustomerLimits(_Limits, kw_only=True, frozen=True):
    """One customer's limits and usage."""

    customer_id: str | None = None


class License(msgspec.Struct, kw_only=True, frozen=True):
    """A license: the features, parameters and limits a company's customers get."""

    id: str
    company_id: str | None = None
    type: str | None = None
    status: str | None = None
    webhook_url: str | None = None
    webhook_enabled: bool = False
    track_expiration_time: int | None = None
    allow_all_features: bool = False
    features: tuple[str, ...] = ()
    allow_all_bitrates: bool = False
    bitrates: tuple[int, ...] = ()
    default_bitrate: int | None = None
    allow_all_intensities: bool = False
    intensities: tuple[str, ...] = ()
    default_intensity: str | None = None
    allow_all_formats: bool = False
    track_formats: tuple[str, ...] = ()
    default_format: str | None = None
    allow_all_modes: bool = False
    track_modes: tuple[str, ...] = ()
    default_mode: str | None = None
    expired_at: datetime | None = None
    license_limits: LicenseLimits | None = None


class CustomerAccess(msgspec.Struct, kw_only=True, frozen=True):
    """A customer's API access: the token for the public directory and its limits.

    The token never appears in ``repr``/``str``.
    """

    token: str
    id: str | None = None
    customer_id: str | None = None
    license_id: str | None = None
    expired_at: datetime | None = None
    customer_limits: CustomerLimits | None = None
    license: License | None = None

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [
            (name, "**********" if name == "token" else getattr(self, name))
            for name in self.__struct_fields__
        ]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in self.__rich_repr__())
        return f"CustomerAccess({inner})"


class Customer(msgspec.Struct, kw_only=True, frozen=True):
    """An end user of a company's product, with its access to the public directory."""

    id: str
    company_id: str | None = None
    custom_id: str | None = None
    status: str | None = None
    access: CustomerAccess | None = None

    @property
    def max_concurrent_generations(self) -> int | None:
        """The tighter of the customer's and the license's concurrency limits.

        None when neither is known, -1 when both are unlimited. A value that is
        neither -1 nor a positive count (0, -5) counts as unknown: the limit is then
        learned from the server instead of refusing to make ``customer_client``.
        """
        access = self.access
        if access is None:
            return None
        found = [
            limits.max_concurrent_track_generations
            for limits in (
                access.customer_limits,
                access.license.license_limits if access.license else None,
            )
            if limits is not None
            and (
                limits.max_concurrent_track_generations == -1
                or limits.max_concurrent_track_generations >= 1
            )
        ]
        if not found:
            return None
        bounded = [value for value in found if value != -1]
        return min(bounded) if bounded else -1
