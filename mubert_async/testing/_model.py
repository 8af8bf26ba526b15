"""The simulator's records: license, customers, tracks, generations, statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._limits import Usage
from ._spec import BITRATES, FEATURES, FORMATS, INTENSITIES, MODES

__all__ = ["FakeCustomer", "FakeStats", "Generation", "LicenseRecord", "Track"]


@dataclass(eq=False, kw_only=True)
class LicenseRecord:
    """The company's license. ``expired_at`` is in epoch seconds (None: never)."""

    id: str
    company_id: str
    limits: Usage = field(repr=False)
    type: str = "paid"
    status: str = "active"
    webhook_url: str | None = None
    webhook_enabled: bool = False
    track_expiration_time: int = 900
    allow_all_features: bool = True
    features: list[str] = field(default_factory=lambda: list(FEATURES))
    allow_all_bitrates: bool = True
    default_bitrate: int = 128
    bitrates: list[int] = field(default_factory=lambda: list(BITRATES))
    allow_all_intensities: bool = True
    default_intensity: str = "high"
    intensities: list[str] = field(default_factory=lambda: list(INTENSITIES))
    allow_all_formats: bool = True
    default_format: str = "mp3"
    track_formats: list[str] = field(default_factory=lambda: list(FORMATS))
    allow_all_modes: bool = True
    default_mode: str = "track"
    track_modes: list[str] = field(default_factory=lambda: list(MODES))
    expired_at: float | None = None


@dataclass(eq=False, kw_only=True)
class FakeCustomer:
    """A customer of the fake: ``id`` and ``access_token`` are its public-API credentials.

    Read it freely; change it through ``FakeMubert.set_customer`` and
    ``FakeMubert.set_customer_limits``. The token never appears in its repr.
    """

    id: str
    custom_id: str
    access_token: str = field(repr=False)
    status: str = "active"
    access_id: str = field(repr=False)
    access_expired_at: float | None = field(default=None, repr=False)
    limits: Usage = field(repr=False)
    in_flight: int = field(default=0, repr=False)
    tracks: list[Track] = field(default_factory=list, repr=False)


@dataclass(eq=False, slots=True, kw_only=True)
class Generation:
    """One rendering of a track. It is processing until ``ready``, then done or failed."""

    session_id: str
    format: str
    bitrate: int
    duration: int
    created: float
    ready: float
    failed: bool = False
    expires_after: float | None = None  # seconds from ready until the URL expires

    def status(self, now: float) -> str:
        """processing, done or failed, as of ``now``."""
        if now < self.ready:
            return "processing"
        return "failed" if self.failed else "done"

    @property
    def expires(self) -> float | None:
        """When the file URL stops working (None: never)."""
        return None if self.expires_after is None else self.ready + self.expires_after


@dataclass(eq=False, slots=True, kw_only=True)
class Track:
    """A track and its generations (newest last). ``source`` is the feature it came from."""

    id: str
    session_id: str
    seq: int
    source: str  # "track" (playlist), "ttm" (prompt), "itm" (image), "library"
    duration: int
    intensity: str
    mode: str
    created: float
    customer_id: str | None = None
    parent_session_id: str | None = None
    playlist_index: str | None = None
    prompt: str | None = None
    key: str | None = None
    bpm: int | None = None
    generations: list[Generation] = field(default_factory=list)


@dataclass
class FakeStats:
    """Counters of what the fake has seen.

    ``requests``: requests received (by FakeTransport or the HTTP server);
    ``creates``: track-creating calls that succeeded (create, record, stored, similar);
    ``generations``: generations started (those plus edits);
    ``polls``: ``GET /public/tracks/{track}`` calls;
    ``concurrency_rejections``: 403 LicenseLimitConcurrentTrackGenerationsCount answers;
    ``faults_injected``: requests a ``Fault`` acted on;
    ``peak_in_flight``: most generations processing at once, license-wide;
    ``webhooks_*``, of the deliveries a ``WebhookSender`` made (``deliver_webhooks``,
    the HTTP simulator): ``delivered`` POSTs answered 2xx (copies included), ``lost``
    dropped on purpose, ``duplicated`` sent twice, ``reordered`` held back so later
    ones overtook them, ``retried`` attempts repeated after a failure, ``failed``
    given up (after the last attempt, on a 4xx answer, or to a non-loopback host).
    """

    requests: int = 0
    creates: int = 0
    generations: int = 0
    polls: int = 0
    concurrency_rejections: int = 0
    faults_injected: int = 0
    peak_in_flight: int = 0
    webhooks_delivered: int = 0
    webhooks_lost: int = 0
    webhooks_duplicated: int = 0
    webhooks_reordered: int = 0
    webhooks_retried: int = 0
    webhooks_failed: int = 0
