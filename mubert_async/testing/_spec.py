"""Enumerations of the Mubert v3 OpenAPI document, as the simulator validates them."""

from __future__ import annotations

__all__ = [
    "BITRATES",
    "CUSTOMER_STATUSES",
    "FEATURES",
    "FORMATS",
    "INSTRUMENTS",
    "INTENSITIES",
    "INTENSITY_LEVEL",
    "KEYS",
    "LICENSE_STATUSES",
    "LOOP_STATES",
    "MODES",
    "ORDERS",
    "STEMS",
    "STREAMING_TYPES",
]

BITRATES = (32, 96, 128, 192, 256, 320)  # TrackBitrateEnum
FORMATS = ("mp3", "wav")  # TrackFormatEnum
INTENSITIES = ("low", "medium", "high")  # TrackIntensityEnum
MODES = ("track", "jingle", "loop", "mix")  # TrackModeEnum
KEYS = (  # TrackKeyScaleEnum
    *("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"),
    *("Cm", "C#m", "Dm", "D#m", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "A#m", "Bm"),
)
STEMS = ("DRUMS", "BASS", "LEADS", "VOCALS", "FX")  # StemEnum
INSTRUMENTS = (  # InstrumentEnum
    *("DRUMS", "PERCS", "HATS", "CLAPS", "BASS", "MIDS"),
    *("LEADS", "FX", "VOCALS", "PADS", "RISER", "IMPACT"),
)
FEATURES = ("track", "ttm", "itm", "streaming", "music-library")  # FeatureEnum
STREAMING_TYPES = ("http", "webrtc")  # StreamingTypeEnum
LOOP_STATES = ("on", "off")  # StreamingLoopStateEnum
ORDERS = ("asc", "desc")  # OrderDirectionEnum
CUSTOMER_STATUSES = ("init", "active", "banned")  # CustomerStatusEnum
LICENSE_STATUSES = ("active", "inactive")  # LicenseStatusEnum

INTENSITY_LEVEL = {"low": 1, "medium": 2, "high": 3}
"""Intensity as the third-party track schema writes it (``FakeMubert(intensity_as_int=True)``)."""
