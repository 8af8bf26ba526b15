"""``mubert mcp`` as an agent runs it: a real process over stdio, driven by the mcp SDK's client.

One process serves the whole module (the ``transcript`` fixture records a scripted
session against the HTTP simulator, whose counters the test process can read).
"""

from __future__ import annotations

import json
import pathlib

from mcp_helpers import TOOLS, Transcript, text_of


def test_lists_every_tool_with_typed_schemas(transcript: Transcript) -> None:
    assert set(transcript.tools) == TOOLS
    generate = transcript.tools["generate_track"].input_schema
    assert generate["required"] == ["duration"]
    assert generate["properties"]["duration"]["type"] == "integer"
    assert "$defs" in generate and generate["$defs"]["Format"]["enum"] == ["mp3", "wav"]
    assert set(transcript.resources) == {"mubert://playlists", "mubert://library/params"}
    assert json.loads(transcript.resources["mubert://playlists"])[0]["playlist_index"]


def test_every_tool_answers(transcript: Transcript) -> None:
    results = transcript.results
    for name in TOOLS:
        assert not results[name].is_error, (name, text_of(results[name]))
    track = results["generate_track"].structured_content
    assert track is not None and track["status"] == "done" and track["url"]
    assert track["duration"] == 20 and track["format"] == "wav"
    saved = pathlib.Path(track["path"])
    assert saved.parent == transcript.out and saved.read_bytes()[:4] == b"RIFF"
    got = results["get_track"].structured_content
    assert got is not None and got["id"] == track["id"]
    listed = results["list_tracks"].structured_content
    assert listed is not None and listed["total"] == 11
    downloaded = results["download_track"].structured_content
    assert downloaded is not None and pathlib.Path(downloaded["path"]) == saved
    calm = results["list_playlists"].structured_content
    assert calm is not None and calm["playlists"]
    assert results["library_params"].structured_content


def test_generate_track_sends_progress_notifications(transcript: Transcript) -> None:
    seen = transcript.progress["generate_track"]
    values = [value for value, _, _ in seen]
    assert len(seen) >= 2 and values == sorted(values)
    assert seen[-1][1] == seen[-1][0] and "done" in (seen[-1][2] or "")


def test_batch_of_10_inside_a_limit_of_2(transcript: Transcript) -> None:
    batch = transcript.results["generate_tracks"].structured_content
    assert batch is not None and batch["succeeded"] == 10
    assert [item["track"]["prompt"] for item in batch["results"]] == [
        f"piece {i}" for i in range(10)
    ]
    assert all(pathlib.Path(item["track"]["path"]).is_file() for item in batch["results"])
    # The simulator's own count of generations at once. (Creates it refused while the
    # client learned the limit were re-queued, not failed: all 10 succeeded.)
    assert transcript.peak == 2
    assert transcript.batch_seconds >= 5 * 0.25
    finished = [value for value, total, _ in transcript.progress["generate_tracks"] if total]
    assert finished[-1] == 10


def test_bad_input_is_a_tool_error_naming_the_field(transcript: Transcript) -> None:
    short = transcript.results["bad_duration"]
    assert short.is_error
    assert text_of(short) == (
        "Error executing tool generate_track: "
        "InvalidRequestError: duration: must be between 5 and 3600, got 1"
    )
    typed = transcript.results["bad_type"]
    assert typed.is_error and "duration" in text_of(typed)
    for result in (short, typed):
        assert "Traceback" not in text_of(result)


def test_no_credential_in_any_message(transcript: Transcript) -> None:
    pasted = transcript.results["pasted_token"]
    assert pasted.is_error and "NotFoundError" in text_of(pasted)
    assert len(transcript.messages) > 20
    for secret in transcript.secrets:
        for message in transcript.messages:
            assert secret not in message
        assert secret not in transcript.stderr
    assert "Traceback" not in transcript.stderr
