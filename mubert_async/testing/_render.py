"""The simulator's records as the API's JSON resources."""

from __future__ import annotations

from typing import Any

from ._clock import rfc3339
from ._model import FakeCustomer, Generation, LicenseRecord, Track
from ._spec import INTENSITY_LEVEL

__all__ = ["customer_json", "file_path", "license_json", "track_json"]


def _time(ts: float | None) -> str | None:
    return None if ts is None else rfc3339(ts)


def file_path(track: Track, generation: Generation) -> str:
    """Where a generation's file lives, relative to the files base URL."""
    return f"{track.id}/{generation.session_id}.{generation.format}"


def _generation_json(
    track: Track, generation: Generation, now: float, files_base_url: str | None
) -> dict[str, Any]:
    status = generation.status(now)
    done = status == "done"
    body: dict[str, Any] = {
        "session_id": generation.session_id,
        "format": generation.format,
        "bitrate": generation.bitrate,
        "status": status,
        "generated_at": _time(generation.ready) if done else None,
        "expired_at": _time(generation.expires) if done else None,
        "created_at": rfc3339(generation.created),
    }
    if files_base_url is not None:
        body["url"] = f"{files_base_url}/{file_path(track, generation)}" if done else None
    return body


def track_json(
    track: Track, now: float, *, files_base_url: str | None, intensity_as_int: bool
) -> dict[str, Any]:
    """TrackShowPublicResource, or TrackIndexPublicResource (no ``url``) without a files URL."""
    return {
        "id": track.id,
        "session_id": track.session_id,
        "parent_session_id": track.parent_session_id,
        "playlist_index": track.playlist_index,
        "prompt": track.prompt,
        "duration": track.duration,
        "intensity": INTENSITY_LEVEL[track.intensity] if intensity_as_int else track.intensity,
        "mode": track.mode,
        "key": track.key,
        "bpm": track.bpm,
        "created_at": rfc3339(track.created),
        "generations": [_generation_json(track, g, now, files_base_url) for g in track.generations],
    }


def license_json(lic: LicenseRecord) -> dict[str, Any]:
    """LicenseServiceResource, limits included."""
    return {
        "id": lic.id,
        "company_id": lic.company_id,
        "type": lic.type,
        "status": lic.status,
        "webhook_url": lic.webhook_url,
        "webhook_enabled": lic.webhook_enabled,
        "track_expiration_time": lic.track_expiration_time,
        "allow_all_features": lic.allow_all_features,
        "features": list(lic.features),
        "allow_all_bitrates": lic.allow_all_bitrates,
        "default_bitrate": lic.default_bitrate,
        "bitrates": list(lic.bitrates),
        "allow_all_intensities": lic.allow_all_intensities,
        "default_intensity": lic.default_intensity,
        "intensities": list(lic.intensities),
        "allow_all_formats": lic.allow_all_formats,
        "default_format": lic.default_format,
        "track_formats": list(lic.track_formats),
        "allow_all_modes": lic.allow_all_modes,
        "default_mode": lic.default_mode,
        "track_modes": list(lic.track_modes),
        "expired_at": _time(lic.expired_at),
        "license_limits": lic.limits.to_json(license_id=lic.id),
    }


def customer_json(customer: FakeCustomer, lic: LicenseRecord) -> dict[str, Any]:
    """A customer with its access: token, expiry, own limits, and the license."""
    return {
        "id": customer.id,
        "company_id": lic.company_id,
        "custom_id": customer.custom_id,
        "status": customer.status,
        "access": {
            "id": customer.access_id,
            "customer_id": customer.id,
            "license_id": lic.id,
            "token": customer.access_token,
            "expired_at": _time(customer.access_expired_at),
            "customer_limits": customer.limits.to_json(customer_id=customer.id, license_id=lic.id),
            "license": license_json(lic),
        },
    }
