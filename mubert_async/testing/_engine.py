"""The simulator's state and rules: license, customers, tracks, quotas, concurrency.

Generations advance lazily from the clock: nothing runs in the background. A heap
of ready times is popped on each request (``tick``) to keep the in-flight counts,
fire webhooks and so stay cheap however many tracks exist.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ._http import HttpError, api_error
from ._limits import CUSTOMER_FIELDS, LICENSE_FIELDS, Usage, customer_defaults
from ._model import FakeCustomer, FakeStats, Generation, LicenseRecord, Track
from ._render import track_json

__all__ = ["Engine", "GenerationTime"]

GenerationTime = Callable[[Mapping[str, Any]], float]

_YEAR = 365 * 86400
# request field -> (license list, its "allow all" flag, error code)
_ALLOWED = {
    "bitrate": ("bitrates", "allow_all_bitrates", "LicenseForbiddenBitrate"),
    "format": ("track_formats", "allow_all_formats", "LicenseForbiddenFormat"),
    "intensity": ("intensities", "allow_all_intensities", "LicenseForbiddenIntensity"),
    "mode": ("track_modes", "allow_all_modes", "LicenseForbiddenMode"),
}
_FLAGS = {"features": "allow_all_features", **{lst: flag for lst, flag, _ in _ALLOWED.values()}}
_LICENSE_SETTINGS = frozenset(
    f.name
    for f in dataclasses.fields(LicenseRecord)
    if f.name not in {"id", "company_id", "limits"}
)


class Engine:
    """Everything the fake knows, and the operations handlers perform on it."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        generation_time: GenerationTime,
        failure_rate: float,
        id_seed: int | str | None,
        failure_seed: int | str | None,
        files_base_url: str,
        service_envelope: bool,
        intensity_as_int: bool,
    ) -> None:
        self.clock = clock
        self.generation_time = generation_time
        self.failure_rate = failure_rate
        self.files_base_url = files_base_url.rstrip("/")
        self.service_envelope = service_envelope
        self.intensity_as_int = intensity_as_int
        self.track_store_enabled = True
        self._ids = random.Random(id_seed)
        self._failures = random.Random(failure_seed)
        now = clock()
        self.company_id = self.new_uuid()
        self.license_token = self.new_hex()
        license_id = self.new_uuid()
        self.license = LicenseRecord(
            id=license_id,
            company_id=self.company_id,
            limits=Usage(self.new_uuid(), LICENSE_FIELDS, now),
            expired_at=now + 10 * _YEAR,
        )
        self.customers: dict[str, FakeCustomer] = {}
        self.by_custom_id: dict[str, FakeCustomer] = {}
        self.tracks: dict[str, Track] = {}
        self.by_session: dict[str, Track] = {}
        self.stats = FakeStats()
        self.webhooks: list[tuple[str, dict[str, Any]]] = []
        # The same deliveries, until a WebhookSender takes them (``drain_webhooks``).
        self.webhook_outbox: deque[tuple[str, dict[str, Any]]] = deque()
        self.in_flight = 0
        self._heap: list[tuple[float, int, FakeCustomer, Track]] = []
        self._seq = 0

    # -- ids -------------------------------------------------------------------------

    def new_uuid(self) -> str:
        """A random (seeded) uuid4 string."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def new_hex(self) -> str:
        """A random (seeded) 32-character hex string: session ids and tokens."""
        return uuid.UUID(int=self._ids.getrandbits(128), version=4).hex

    # -- time ------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Finish every generation whose time has come; roll the license's counters."""
        heap = self._heap
        lic = self.license
        while heap and heap[0][0] <= now:
            ready, _, customer, track = heapq.heappop(heap)
            self.in_flight -= 1
            customer.in_flight -= 1
            if lic.webhook_enabled and lic.webhook_url:
                body = self.render_track(track, ready)
                self.webhooks.append((lic.webhook_url, body))
                self.webhook_outbox.append((lic.webhook_url, body))
        lic.limits.roll(now)

    def next_ready(self) -> float | None:
        """When the next generation in progress finishes (None: none is in progress)."""
        return self._heap[0][0] if self._heap else None

    def drain_webhooks(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        """Tick, then take every delivery not taken yet (oldest first)."""
        self.tick(now)
        outbox = self.webhook_outbox
        taken = list(outbox)
        outbox.clear()
        return taken

    # -- customers -------------------------------------------------------------------

    def add_customer(self, custom_id: str, now: float) -> FakeCustomer:
        """Provision a customer with limits from the license's customer defaults."""
        if custom_id in self.by_custom_id:
            raise ValueError(f"custom_id {custom_id!r} is taken")
        customer_id = self.new_uuid()
        customer = FakeCustomer(
            id=customer_id,
            custom_id=custom_id,
            access_token=self.new_hex(),
            access_id=self.new_uuid(),
            access_expired_at=self.license.expired_at,
            limits=Usage(
                self.new_uuid(),
                CUSTOMER_FIELDS,
                now,
                customer_defaults(self.license.limits.values),
            ),
        )
        self.customers[customer_id] = customer
        self.by_custom_id[custom_id] = customer
        self.license.limits.values["customers_count"] += 1
        return customer

    def rename_customer(self, customer: FakeCustomer, custom_id: str) -> None:
        """Give ``customer`` a new custom id."""
        del self.by_custom_id[customer.custom_id]
        customer.custom_id = custom_id
        self.by_custom_id[custom_id] = customer

    def delete_customer(self, customer: FakeCustomer) -> None:
        """Remove ``customer``; its credentials stop working."""
        del self.customers[customer.id]
        del self.by_custom_id[customer.custom_id]
        self.license.limits.values["customers_count"] -= 1

    def set_license(self, fields: Mapping[str, Any]) -> None:
        """Change license settings; a list given without its ``allow_all_*`` flag turns it off."""
        unknown = sorted(set(fields) - _LICENSE_SETTINGS)
        if unknown:
            raise TypeError(f"unknown license field(s): {', '.join(unknown)}")
        lic = self.license
        for name, value in fields.items():
            setattr(lic, name, value)
            flag = _FLAGS.get(name)
            if flag is not None and flag not in fields:
                setattr(lic, flag, False)

    def set_license_limits(self, fields: Mapping[str, Any]) -> None:
        """Change license limits; ``customer_*`` defaults also apply to existing customers."""
        self.license.limits.update(fields)
        defaults = customer_defaults(fields)
        for customer in self.customers.values():
            customer.limits.update(defaults)

    # -- license checks --------------------------------------------------------------

    def require_feature(self, feature: str, description: str | None = None) -> None:
        """403 LicenseForbiddenFeature unless the license has ``feature``."""
        lic = self.license
        if not (lic.allow_all_features or feature in lic.features):
            raise api_error(
                "LicenseForbiddenFeature",
                description=description or f"The license does not include the {feature} feature",
            )

    def require_allowed(self, values: Mapping[str, Any]) -> None:
        """403 for a bitrate/format/intensity/mode the license excludes, or a too long track."""
        lic = self.license
        for name, (allowed, flag, code) in _ALLOWED.items():
            value = values.get(name)
            if value is not None and not getattr(lic, flag) and value not in getattr(lic, allowed):
                raise api_error(code)
        duration = values.get("duration")
        limit = lic.limits.values["max_track_duration"]
        if duration is not None and limit != -1 and duration > limit:
            raise api_error(
                "LicenseForbiddenDuration",
                description=f"The longest track the license allows is {limit} seconds",
            )

    # -- generations -----------------------------------------------------------------

    def admit(self, customer: FakeCustomer, duration: int, *, concurrent: bool = True) -> None:
        """403 when a generation of ``duration`` would break a quota or a concurrency limit."""
        error: HttpError | None = self.license.limits.tracks_error(duration)
        error = error or customer.limits.tracks_error(duration)
        if error is not None:
            raise error
        if not concurrent:
            return
        for running, limit in (
            (customer.in_flight, customer.limits.values["max_concurrent_track_generations"]),
            (self.in_flight, self.license.limits.values["max_concurrent_track_generations"]),
        ):
            if limit != -1 and running >= limit:
                self.stats.concurrency_rejections += 1
                raise api_error(
                    "LicenseLimitConcurrentTrackGenerationsCount",
                    concurrent_track_generations=limit,
                )

    def new_track(self, customer: FakeCustomer, now: float, **fields: Any) -> Track:
        """Store a new track of ``customer`` (without generations yet)."""
        self._seq += 1
        track = Track(
            id=self.new_uuid(),
            session_id=self.new_hex(),
            seq=self._seq,
            customer_id=customer.id,
            created=now,
            **fields,
        )
        self.tracks[track.id] = track
        self.by_session[track.session_id] = track
        customer.tracks.append(track)
        return track

    def start_generation(
        self,
        customer: FakeCustomer,
        track: Track,
        now: float,
        params: Mapping[str, Any],
        *,
        instant: bool = False,
    ) -> Generation:
        """Count a generation against the quotas and start it (``instant``: already done).

        ``params`` are the resolved request fields; they go to ``generation_time``.
        """
        duration: int = params["duration"]
        self.license.limits.add_track(duration)
        customer.limits.add_track(duration)
        took = 0.0 if instant else max(0.0, float(self.generation_time(params)))
        failed = not instant and self._failures.random() < self.failure_rate
        generation = Generation(
            session_id=self.new_hex(),
            format=params["format"],
            bitrate=params["bitrate"],
            duration=duration,
            created=now,
            ready=now + took,
            failed=failed,
            expires_after=float(self.license.track_expiration_time),
        )
        track.generations.append(generation)
        self.stats.generations += 1
        if not instant:
            self._seq += 1
            heapq.heappush(self._heap, (generation.ready, self._seq, customer, track))
            self.in_flight += 1
            customer.in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.in_flight)
        return generation

    # -- rendering -------------------------------------------------------------------

    def render_track(self, track: Track, now: float, *, urls: bool = True) -> dict[str, Any]:
        """A track's JSON as of ``now``; ``urls=False`` for listings (TrackIndexPublicResource)."""
        return track_json(
            track,
            now,
            files_base_url=self.files_base_url if urls else None,
            intensity_as_int=self.intensity_as_int,
        )
