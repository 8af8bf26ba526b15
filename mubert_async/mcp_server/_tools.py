"""The tools an agent calls: generate (one or many), look up, list and download tracks."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from ..errors import MubertError
from ..models import GenerationResult, TrackRequest
from ._backend import Backend
from ._errors import describe, reported_as
from ._progress import with_heartbeat
from ._schemas import (
    BatchItem,
    BatchResult,
    Bpm,
    Duration,
    Key,
    LibraryValue,
    OptFormat,
    OptIntensity,
    OptMode,
    PlaylistIndex,
    PlaylistInfo,
    PlaylistList,
    Prompt,
    TrackId,
    TrackInfo,
    TrackList,
    TrackSpec,
    library_values,
    playlist_info,
    track_info,
)

__all__ = ["MAX_BATCH", "register_tools"]

MAX_BATCH = 50
"""Most requests one generate_tracks call takes."""

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
_CREATES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)

Requests = Annotated[
    list[TrackSpec],
    Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"The tracks to generate (1-{MAX_BATCH}), each like generate_track's input.",
    ),
]
Search = Annotated[
    str | None,
    Field(description="Only channels whose category, group or channel name contains this."),
]
Offset = Annotated[int, Field(description="How many tracks to skip.")]
Limit = Annotated[int, Field(description="How many tracks to return (1-100).")]


def register_tools(app: MCPServer[Any], backend: Backend) -> None:
    """Add every tool to ``app``, each acting through ``backend``."""
    client = backend.client
    redactor = backend.redactor

    @app.tool(annotations=_CREATES)
    async def generate_track(
        ctx: Context[Any, Any],
        *,
        prompt: Prompt = None,
        playlist_index: PlaylistIndex = None,
        duration: Duration,
        format: OptFormat = None,
        intensity: OptIntensity = None,
        mode: OptMode = None,
        bpm: Bpm = None,
        key: Key = None,
    ) -> TrackInfo:
        """Generate one music track from a text prompt or a playlist channel and wait for it.

        Waits until the audio is ready, reporting progress meanwhile. Returns the
        track's id, download url, duration and, when the server saves files, the
        local path.
        """
        spec = TrackSpec(
            prompt=prompt,
            playlist_index=playlist_index,
            duration=duration,
            format=format,
            intensity=intensity,
            mode=mode,
            bpm=bpm,
            key=key,
        )
        with reported_as(ToolError, redactor):
            track = await with_heartbeat(
                lambda: client.tracks.generate(**spec.fields()),
                ctx.report_progress,
                "generating",
            )
            path = await backend.save(track)
        return track_info(track, path)

    @app.tool(annotations=_CREATES)
    async def generate_tracks(ctx: Context[Any, Any], requests: Requests) -> BatchResult:
        """Generate several tracks at once, as many in parallel as the account allows.

        Returns one result per request, in input order: the track, or the error of
        that request alone (the others still finish). Progress counts finished tracks.
        """
        items: dict[int, BatchItem] = {}
        valid: list[tuple[int, TrackRequest]] = []
        for index, spec in enumerate(requests):
            try:
                valid.append((index, spec.request()))
            except MubertError as error:
                items[index] = BatchItem(index=index, ok=False, error=describe(error, redactor))
        total = len(requests)
        await ctx.report_progress(len(items), total, f"{len(valid)} to generate")
        with reported_as(ToolError, redactor):
            async with client.tracks.generate_many([r for _, r in valid]) as run:
                async for result in run:
                    index = valid[result.index][0]
                    items[index] = await _batch_item(backend, index, result)
                    failed = sum(not item.ok for item in items.values())
                    await ctx.report_progress(
                        len(items), total, f"{len(items)}/{total} finished, {failed} failed"
                    )
        results = [items[index] for index in range(total)]
        succeeded = sum(item.ok for item in results)
        return BatchResult(results=results, succeeded=succeeded, failed=total - succeeded)

    @app.tool(annotations=_READ_ONLY)
    async def get_track(track_id: TrackId) -> TrackInfo:
        """Look up one track: its status (processing, done, failed) and download url."""
        with reported_as(ToolError, redactor):
            return track_info(await client.tracks.get(track_id))

    @app.tool(annotations=_READ_ONLY)
    async def list_tracks(offset: Offset = 0, limit: Limit = 25) -> TrackList:
        """List the tracks generated so far, one page at a time."""
        with reported_as(ToolError, redactor):
            page = await client.tracks.list(offset=offset, limit=limit)
        return TrackList(
            tracks=[track_info(track) for track in page.data],
            total=page.meta.total,
            offset=page.meta.offset,
            limit=page.meta.limit,
        )

    @app.tool(annotations=_READ_ONLY)
    async def list_playlists(search: Search = None) -> PlaylistList:
        """List the channels to generate from: playlist_index, names, bpm range and keys."""
        with reported_as(ToolError, redactor):
            playlists = [playlist_info(p) for p in await client.playlists.list()]
        if search:
            needle = search.casefold()
            playlists = [p for p in playlists if needle in _names(p)]
        return PlaylistList(playlists=playlists)

    @app.tool(annotations=_READ_ONLY)
    async def library_params() -> dict[str, list[LibraryValue]]:
        """List the music library's parameters (genres, moods, keys...) and their values."""
        with reported_as(ToolError, redactor):
            return library_values(await client.library.params())

    @app.tool(annotations=ToolAnnotations(read_only_hint=False, idempotent_hint=True))
    async def download_track(track_id: TrackId, format: OptFormat = None) -> TrackInfo:
        """Save a finished track's audio into the server's output folder; returns its path.

        Works only when the server was started with --out DIR.
        """
        if backend.out is None:
            raise ToolError("download_track: this server saves no files; start it with --out DIR")
        with reported_as(ToolError, redactor):
            track = await client.tracks.get(track_id)
            path = await backend.save(track, format)
        return track_info(track, path)


async def _batch_item(backend: Backend, index: int, result: GenerationResult) -> BatchItem:
    if result.track is None:
        error = result.error or MubertError("no track")
        return BatchItem(index=index, ok=False, error=describe(error, backend.redactor))
    try:
        path = await backend.save(result.track)
    except (MubertError, OSError) as error:
        return BatchItem(
            index=index,
            ok=False,
            track=track_info(result.track),
            error=describe(error, backend.redactor),
        )
    return BatchItem(index=index, ok=True, track=track_info(result.track, path))


def _names(playlist: PlaylistInfo) -> str:
    return " ".join(
        n for n in (playlist.category, playlist.group, playlist.channel) if n
    ).casefold()
