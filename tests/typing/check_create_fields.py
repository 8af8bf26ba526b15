"""Type-checker tests (run by ``.ci/run``'s mypy, never by pytest): the create fields are typed.

Under ``--strict`` (``warn_unused_ignores``) each ignore below must be needed: if
``generate``, ``create`` or ``record`` took ``**fields: Any``, mypy would report it unused.
"""

from __future__ import annotations

from mubert_async import Format, MubertClient, Track, TrackRequest
from mubert_async.models._tracks import CreateFields


async def misspelt_field(client: MubertClient) -> None:
    """``promt=`` is caught."""
    await client.tracks.generate(duration=30, promt="lofi")  # type: ignore[call-arg]


async def missing_duration(client: MubertClient) -> None:
    """``duration`` is required."""
    await client.tracks.generate(prompt="lofi")  # type: ignore[call-arg]


async def wrong_type(client: MubertClient) -> None:
    """``bpm`` is an int."""
    await client.tracks.generate(duration=30, playlist_index="1.0.0", bpm="fast")  # type: ignore[arg-type]


async def well_typed(client: MubertClient) -> None:
    """Every field of ``create`` is accepted."""
    await client.tracks.generate(
        duration=30, playlist_index="1.0.0", bpm=120, key="C", format="wav", timeout=60
    )


async def create_and_record_misspelt(client: MubertClient) -> None:
    """``create`` and ``record`` read the same ``CreateFields``: ``promt=`` is caught on both."""
    await client.tracks.create(duration=30, promt="lofi")  # type: ignore[call-arg]
    await client.tracks.record(duration=30, promt="lofi")  # type: ignore[call-arg]


async def create_and_record_missing_duration(client: MubertClient) -> None:
    """``duration`` is required on both."""
    await client.tracks.create(prompt="lofi")  # type: ignore[call-arg]
    await client.tracks.record(prompt="lofi")  # type: ignore[call-arg]


async def create_and_record_wrong_type(client: MubertClient) -> None:
    """``bpm`` is an int on both."""
    await client.tracks.create(duration=30, playlist_index="1.0.0", bpm="fast")  # type: ignore[arg-type]
    await client.tracks.record(duration=30, playlist_index="1.0.0", bpm="fast")  # type: ignore[arg-type]


async def create_and_record_positional_duration(client: MubertClient) -> None:
    """``duration`` is keyword-only on both."""
    await client.tracks.create(30, prompt="lofi")  # type: ignore[call-arg]
    await client.tracks.record(30, prompt="lofi")  # type: ignore[call-arg]


async def create_and_record_well_typed(client: MubertClient) -> Track:
    """Every create field is accepted by both, and both return a ``Track``."""
    await client.tracks.create(duration=30, image=b"...", format=Format.WAV, mode="loop")
    return await client.tracks.record(
        duration=30, playlist_index="1.0.0", bpm=120, key="C", bitrate=320, intensity="low"
    )


def fields_build_a_request(fields: CreateFields) -> TrackRequest:
    """Every ``CreateFields`` key is a ``TrackRequest`` field of the same type."""
    return TrackRequest(**fields)
