"""What the tools and resources share: the SDK client, the redactor and the ``--out`` folder."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from .._client import MubertClient
from .._redaction import Redactor
from ..models import Format, Track

__all__ = ["Backend"]


@dataclass(frozen=True)
class Backend:
    """An open ``MubertClient`` plus where (if anywhere) generated audio is saved."""

    client: MubertClient
    redactor: Redactor
    out: pathlib.Path | None = None

    async def save(self, track: Track, format: Format | None = None) -> pathlib.Path | None:
        """Download ``track`` into ``out`` (named ``<id>.<format>``); None without ``--out``."""
        if self.out is None:
            return None
        self.out.mkdir(parents=True, exist_ok=True)
        return await self.client.tracks.download(track, self.out, format=format)
