"""Type-checker tests (run by ``.ci/run``'s mypy, never by pytest): the create fields are typed.

Under ``--strict`` (``warn_unused_ignores``) each ignore below must be needed: if
``generate`` took ``**create_fields: Any`` again, mypy would report it unused.
"""

from __future__ import annotations

from mubert_async import MubertClient


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
