"""The enums spell every value as the API's OpenAPI document does, in its order."""

from __future__ import annotations

import enum

import pytest
from openapi import SPEC

from mubert_async import (
    Format,
    GenerationStatus,
    Instrument,
    Intensity,
    Mode,
    Stem,
)
from mubert_async.models import BITRATES, KEYS, StreamingType

_SCHEMAS = SPEC["components"]["schemas"]


@pytest.mark.parametrize(
    ("members", "schema"),
    [
        (Intensity, "TrackIntensityEnum"),
        (Mode, "TrackModeEnum"),
        (Format, "TrackFormatEnum"),
        (GenerationStatus, "TrackGenerationStatusEnum"),
        (Stem, "StemEnum"),
        (Instrument, "InstrumentEnum"),
        (StreamingType, "StreamingTypeEnum"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else v,
)
def test_values_are_the_api_spelling(members: type[enum.Enum], schema: str) -> None:
    values = [member.value for member in members]
    assert values == _SCHEMAS[schema]["enum"]
    for member in members:
        assert isinstance(member, str) and member == member.value and str(member) == member.value
        assert f"{member}" == member.value and members(member.value) is member


def test_constants_are_the_api_values() -> None:
    assert sorted(BITRATES) == _SCHEMAS["TrackBitrateEnum"]["enum"]
    assert list(KEYS) == _SCHEMAS["TrackKeyScaleEnum"]["enum"]
