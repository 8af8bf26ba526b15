"""The MCP server's tools and resources, in process (mcp's in-memory client) on FakeMubert."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError
from mcp_helpers import TOOLS, data_of, harness, text_of

from mubert_async import Format, Intensity, Mode, NotFoundError
from mubert_async.mcp_server._progress import with_heartbeat
from mubert_async.mcp_server._schemas import TrackSpec

GENERATE_FIELDS = [
    "prompt",
    "playlist_index",
    "duration",
    "format",
    "intensity",
    "mode",
    "bpm",
    "key",
]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    return schema["$defs"][ref.rsplit("/", 1)[1]]


def _enum(schema: dict[str, Any], prop: dict[str, Any]) -> list[Any]:
    for option in prop.get("anyOf", [prop]):
        target = _resolve(schema, option)
        if "enum" in target:
            return list(target["enum"])
    raise AssertionError(f"no enum in {prop}")


async def test_tools_have_typed_described_schemas() -> None:
    async with harness(None) as h:
        tools = {tool.name: tool for tool in (await h.mcp.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) < 500, tool.name
        assert tool.output_schema is not None, tool.name
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), (tool.name, name)

    single = tools["generate_track"].input_schema
    assert list(single["properties"]) == GENERATE_FIELDS
    assert single["required"] == ["duration"]
    assert single["properties"]["duration"]["type"] == "integer"
    assert _enum(single, single["properties"]["format"]) == [f.value for f in Format]
    assert _enum(single, single["properties"]["intensity"]) == [i.value for i in Intensity]
    assert _enum(single, single["properties"]["mode"]) == [m.value for m in Mode]

    batch = tools["generate_tracks"].input_schema
    requests = batch["properties"]["requests"]
    assert requests["type"] == "array" and requests["minItems"] == 1 and requests["maxItems"] == 50
    item = _resolve(batch, requests["items"])
    # One request of generate_tracks takes exactly what generate_track takes.
    assert item["properties"] == single["properties"]
    assert list(TrackSpec.model_fields) == GENERATE_FIELDS

    assert tools["get_track"].input_schema["required"] == ["track_id"]
    assert tools["get_track"].annotations is not None
    assert tools["get_track"].annotations.read_only_hint is True
    assert tools["generate_track"].annotations is not None
    assert tools["generate_track"].annotations.read_only_hint is False


async def test_generate_track_waits_with_progress_and_saves_the_file(
    tmp_path: pathlib.Path,
) -> None:
    async with harness(tmp_path / "out", generation_time=0.3) as h:
        result = await h.call(
            "generate_track", {"prompt": "calm piano", "duration": 30, "format": "wav"}
        )
        track = data_of(result)
        stored = await h.client.tracks.get(track["id"])
    assert track["status"] == "done" and track["duration"] == 30 and track["format"] == "wav"
    assert track["url"] == stored.url and track["url"]
    path = pathlib.Path(track["path"])
    assert path.parent == tmp_path / "out" and path.name == f"{track['id']}.wav"
    assert path.read_bytes()[:4] == b"RIFF"
    # A notification at the start, heartbeats, and a final one with the total.
    values = [p for p, _, _ in h.progress]
    assert len(values) >= 2 and values == sorted(values) and len(set(values)) == len(values)
    assert h.progress[0][2] == "generating: 0 s"
    last, total, message = h.progress[-1]
    assert total == last and message is not None and "done" in message


async def test_generate_track_from_a_playlist_without_out_has_no_path() -> None:
    async with harness(None) as h:
        track = data_of(
            await h.call("generate_track", {"playlist_index": "0.0.0", "duration": 15, "bpm": 80})
        )
    assert track["playlist_index"] == "0.0.0" and track["bpm"] == 80
    assert track["path"] is None and track["url"]


async def test_batch_of_10_stays_inside_a_limit_of_2(tmp_path: pathlib.Path) -> None:
    requests = [{"prompt": f"piece {i}", "duration": 10 + i} for i in range(10)]
    async with harness(tmp_path, limit=2, generation_time=0.2) as h:
        started = anyio.current_time()
        batch = data_of(await h.call("generate_tracks", {"requests": requests}))
        elapsed = anyio.current_time() - started
        peak = h.fake.peak_in_flight
    assert batch["succeeded"] == 10 and batch["failed"] == 0
    assert [r["index"] for r in batch["results"]] == list(range(10))
    for i, item in enumerate(batch["results"]):
        assert item["ok"] and item["track"]["prompt"] == f"piece {i}"
        assert item["track"]["duration"] == 10 + i
        assert pathlib.Path(item["track"]["path"]).is_file()
    assert peak == 2  # in parallel, never above the limit
    assert elapsed >= 5 * 0.2  # 10 tracks two at a time: at least five rounds
    finished = [p for p, total, _ in h.progress if total == 10]
    assert finished[-1] == 10 and finished == sorted(finished)


async def test_batch_reports_errors_per_item() -> None:
    requests = [
        {"prompt": "fine", "duration": 10},
        {"prompt": "too short", "duration": 1},
        {"prompt": "both", "playlist_index": "0.0.0", "duration": 10},
        {"playlist_index": "0.0.0", "duration": 10, "key": "Am"},
    ]
    async with harness(None) as h:
        batch = data_of(await h.call("generate_tracks", {"requests": requests}))
    ok, short, both, keyed = batch["results"]
    assert ok["ok"] and keyed["ok"] and keyed["track"]["key"] == "Am"
    assert not short["ok"] and short["error"].startswith("InvalidRequestError: duration: must be")
    assert not both["ok"] and both["error"].startswith("InvalidRequestError: playlist_index/prompt")
    assert (batch["succeeded"], batch["failed"]) == (2, 2)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"prompt": "x", "duration": 1},
            "InvalidRequestError: duration: must be between 5 and 3600",
        ),
        ({"prompt": "x", "duration": 30, "bpm": 90}, "InvalidRequestError: bpm: is only allowed"),
        ({"prompt": "x", "duration": "long"}, "duration"),
        ({"prompt": "x", "duration": 30, "format": "flac"}, "format"),
        ({"prompt": "x"}, "duration"),
    ],
)
async def test_bad_input_is_a_tool_error_naming_the_field(
    arguments: dict[str, Any], expected: str
) -> None:
    async with harness(None) as h:
        result = await h.call("generate_track", arguments)
        creates = h.fake.stats.creates
    assert result.is_error
    text = text_of(result)
    assert expected in text and "Traceback" not in text
    assert creates == 0  # refused before anything was sent


async def test_api_errors_come_back_naming_the_sdk_error_class(tmp_path: pathlib.Path) -> None:
    async with harness(tmp_path) as h:
        missing = await h.call("get_track", {"track_id": "no-such-track"})
        h.fake.set_license_limits(daily_tracks_count_limit=0)
        quota = await h.call("generate_track", {"prompt": "x", "duration": 10})
    assert missing.is_error and "NotFoundError: " in text_of(missing)
    assert quota.is_error and "QuotaExceededError: " in text_of(quota)


async def test_download_needs_out_and_saves_the_asked_format(tmp_path: pathlib.Path) -> None:
    async with harness(None) as h:
        track = data_of(await h.call("generate_track", {"prompt": "x", "duration": 10}))
        refused = await h.call("download_track", {"track_id": track["id"]})
    assert refused.is_error and "--out" in text_of(refused)
    async with harness(tmp_path) as h:
        track = data_of(
            await h.call("generate_track", {"prompt": "x", "duration": 10, "format": "wav"})
        )
        saved = data_of(await h.call("download_track", {"track_id": track["id"], "format": "wav"}))
        wrong = await h.call("download_track", {"track_id": track["id"], "format": "mp3"})
    assert pathlib.Path(saved["path"]) == tmp_path / f"{track['id']}.wav"
    assert wrong.is_error and text_of(wrong).startswith(
        "Error executing tool download_track: InvalidRequestError: track:"
    )


async def test_lookups_list_and_catalogue() -> None:
    async with harness(None) as h:
        made = data_of(await h.call("generate_track", {"prompt": "x", "duration": 10}))
        got = data_of(await h.call("get_track", {"track_id": made["id"]}))
        listed = data_of(await h.call("list_tracks", {"limit": 5}))
        calm = data_of(await h.call("list_playlists", {"search": "calm"}))
        every = data_of(await h.call("list_playlists"))
        params = data_of(await h.call("library_params"))
        bad_page = await h.call("list_tracks", {"limit": 0})
        expected = await h.client.playlists.list()
    assert got["id"] == made["id"] and got["status"] == "done"
    assert [t["id"] for t in listed["tracks"]] == [made["id"]]
    assert listed["total"] == 1 and listed["limit"] == 5
    assert len(every["playlists"]) == len(expected)
    assert calm["playlists"] and all("calm" in json.dumps(p).lower() for p in calm["playlists"])
    assert len(calm["playlists"]) < len(every["playlists"])
    assert params and all(
        isinstance(v["value"], str) and v["tracks_count"] >= 0 for vs in params.values() for v in vs
    )
    assert bad_page.is_error and "InvalidRequestError: limit" in text_of(bad_page)


async def test_resources_list_playlists_and_library_params() -> None:
    async with harness(None) as h:
        resources = {str(r.uri): r for r in (await h.mcp.list_resources()).resources}
        playlists = await h.mcp.read_resource("mubert://playlists")
        library = await h.mcp.read_resource("mubert://library/params")
        tool = data_of(await h.call("list_playlists"))
    assert set(resources) == {"mubert://playlists", "mubert://library/params"}
    assert all(r.mime_type == "application/json" and r.description for r in resources.values())
    read = json.loads(playlists.contents[0].text)  # type: ignore[union-attr]
    assert read == [{k: v for k, v in p.items() if v is not None} for p in tool["playlists"]]
    params = json.loads(library.contents[0].text)  # type: ignore[union-attr]
    assert "genres" in params and params["genres"][0]["tracks_count"] >= 0


async def test_no_credential_reaches_the_agent() -> None:
    async with harness(None) as h:
        token = h.customer.access_token
        pasted = await h.call("get_track", {"track_id": token})
        as_duration = await h.call("generate_track", {"prompt": "x", "duration": token})
        as_prompt = data_of(
            await h.call("generate_track", {"prompt": f"x {token}", "duration": 10})
        )
        listed = data_of(await h.call("list_tracks"))
        secrets = h.secrets
    # The API echoes the id in its 404 (the SDK masks it); pydantic quotes the bad value.
    assert pasted.is_error and "NotFoundError" in text_of(pasted)
    assert as_duration.is_error and "duration" in text_of(as_duration)
    assert as_prompt["prompt"] == "x ***"
    everything = json.dumps([pasted.model_dump(), as_duration.model_dump(), as_prompt, listed])
    for secret in secrets:
        assert secret not in everything


async def test_an_unexpected_error_reaches_the_agent_without_details(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(track_id: str) -> None:
        raise RuntimeError("internal detail /home/user/.env")

    async with harness(None) as h:
        monkeypatch.setattr(h.client.tracks, "get", broken)
        result = await h.call("get_track", {"track_id": "abc"})
    assert result.is_error and text_of(result) == "Error executing tool get_track"


async def test_heartbeat_reports_while_waiting_and_passes_errors_through() -> None:
    reports: list[tuple[float, float | None, str]] = []

    async def report(progress: float, total: float | None, message: str) -> None:
        reports.append((progress, total, message))

    async def slow() -> str:
        await anyio.sleep(0.25)
        return "ok"

    assert await with_heartbeat(slow, report, "working", interval=0.1) == "ok"
    values = [p for p, _, _ in reports]
    assert len(reports) >= 3 and values == sorted(values)
    assert reports[-1][1] == reports[-1][0]

    async def fails() -> str:
        raise NotFoundError("gone")

    reports.clear()
    with pytest.raises(NotFoundError, match="gone"):
        await with_heartbeat(fails, report, "working", interval=0.1)
    assert all(total is None for _, total, _ in reports)


async def test_resource_errors_name_the_sdk_error_and_hide_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with harness(None) as h:
        token = h.customer.access_token

        async def refused() -> None:
            raise NotFoundError(f"no playlists for {token}")

        monkeypatch.setattr(h.client.playlists, "list", refused)
        with pytest.raises(MCPError) as failed:
            await h.mcp.read_resource("mubert://playlists")
        with pytest.raises(MCPError) as unknown:
            await h.mcp.read_resource(f"mubert://{token}")
    assert failed.value.message == "NotFoundError: no playlists for ***"
    assert token not in unknown.value.message and "***" in unknown.value.message
