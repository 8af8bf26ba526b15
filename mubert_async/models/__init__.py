"""The API's resources as typed, immutable msgspec Structs."""

from .._enums import (
    BITRATES,
    KEYS,
    Format,
    GenerationStatus,
    Instrument,
    Intensity,
    Mode,
    Stem,
    StreamingType,
)
from ._catalog import BpmRange, LibraryParam, LibraryParamValue, Playlist, PlaylistParams
from ._page import Page, PageMeta
from ._service import Customer, CustomerAccess, CustomerLimits, License, LicenseLimits
from ._tracks import CreateFields, Generation, GenerationResult, ImageInput, Track, TrackRequest

__all__ = [
    "BITRATES",
    "KEYS",
    "BpmRange",
    "CreateFields",
    "Customer",
    "CustomerAccess",
    "CustomerLimits",
    "Format",
    "Generation",
    "GenerationResult",
    "GenerationStatus",
    "ImageInput",
    "Instrument",
    "Intensity",
    "LibraryParam",
    "LibraryParamValue",
    "License",
    "LicenseLimits",
    "Mode",
    "Page",
    "PageMeta",
    "Playlist",
    "PlaylistParams",
    "Stem",
    "StreamingType",
    "Track",
    "TrackRequest",
]
