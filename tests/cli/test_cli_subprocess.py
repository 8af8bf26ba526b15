"""The ``mubert`` command line as users run it: a real process, against ``--sim`` or local HTTP."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

from cli_helpers import FAKE_CREDENTIALS, RUN_TIMEOUT, SIM, HttpSim, base_env, mubert, mubert_all


def _is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() >= 1
        return audio.getnframes() / audio.getframerate()


# -- help, usage and exit codes ------------------------------------------------------


def test_help_documents_commands_credentials_and_exit_codes() -> None:
    run = mubert("--help")
    assert run.code == 0, run
    for word in ("generate", "batch", "tracks", "playlists", "stream-link", "library"):
        assert word in run.stdout
    for word in ("customers", "licenses", "sim", "MUBERT_ACCESS_TOKEN", "Exit codes"):
        assert word in run.stdout
    assert "4  generate/batch" in run.stdout


def test_bad_option_exits_2() -> None:
    run = mubert(*SIM, "generate", "--prompt", "x", "--no-such-option")
    assert run.code == 2, run
    assert "No such option" in run.stderr
    assert run.stdout == ""


def test_missing_credentials_exit_2_naming_the_variables(tmp_path: Path) -> None:
    public, service = mubert_all(
        ("tracks", "list"), ("licenses", "list"), env=base_env(), cwd=tmp_path
    )
    assert public.code == 2, public
    assert "MUBERT_CUSTOMER_ID" in public.stderr and "MUBERT_ACCESS_TOKEN" in public.stderr
    assert service.code == 2, service
    assert "MUBERT_COMPANY_ID" in service.stderr and "MUBERT_LICENSE_TOKEN" in service.stderr


def test_unknown_track_exits_3() -> None:
    run = mubert(*SIM, "tracks", "get", "no-such-track")
    assert run.code == 3, run
    assert run.stderr.startswith("error: NotFoundError:")


def test_request_refused_before_sending_exits_2(tmp_path: Path) -> None:
    run = mubert(*SIM, "generate", "--prompt", "x", "--bpm", "120", "--out", str(tmp_path))
    assert run.code == 2, run
    assert "InvalidRequestError" in run.stderr and "bpm" in run.stderr
    assert list(tmp_path.iterdir()) == []


# -- generate ----------------------------------------------------------------------------


def test_generate_writes_playable_wav_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    run = mubert(
        *SIM, "generate", "--prompt", "calm piano", "--count", "2", "--duration", "6",
        "--format", "wav", "--out", str(out),
    )  # fmt: skip
    assert run.code == 0, run
    files = [Path(line) for line in run.stdout.splitlines()]
    assert len(files) == 2 and sorted(files) == sorted(out.iterdir())
    for file in files:
        assert file.suffix == ".wav"
        assert abs(_wav_seconds(file) - 6) < 0.5
    assert "saved 2 of 2" in run.stderr


def test_generate_json_and_mp3(tmp_path: Path) -> None:
    run = mubert(
        "--json", *SIM, "generate", "--playlist", "1.0.0", "--bpm", "110", "--key", "Am",
        "--duration", "5", "--format", "mp3", "--out", str(tmp_path),
    )  # fmt: skip
    assert run.code == 0, run
    document = json.loads(run.stdout)
    assert document["requested"] == 1 and document["ok"] == 1 and document["failed"] == 0
    [result] = document["results"]
    assert result["status"] == "ok" and result["error"] is None
    assert result["track"]["playlist_index"] == "1.0.0" and result["track"]["bpm"] == 110
    data = Path(result["file"]).read_bytes()
    assert Path(result["file"]).name == f"{result['track_id']}.mp3"
    assert _is_mp3(data)


# -- batch -------------------------------------------------------------------------------


def test_batch_partial_failure_then_resume(tmp_path: Path, http_sim: HttpSim) -> None:
    env = http_sim.customer_env
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        '{"prompt": "calm piano", "duration": 5}\n'
        '{"playlist_index": "1.0.0", "duration": 6, "format": "wav"}\n'
        "\n"
        '{"prompt": "too short", "duration": 2}\n'
    )
    out = tmp_path / "out"
    run = mubert("batch", str(requests), "--out", str(out), env=env)
    assert run.code == 4, run
    manifest = out / "manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert [(e["line"], e["status"]) for e in entries] == [(1, "ok"), (2, "ok"), (4, "error")]
    assert entries[2]["error_type"] == "InvalidRequestError"
    assert "duration" in entries[2]["error_message"]
    assert entries[0]["request"] == {"prompt": "calm piano", "duration": 5}
    assert _is_mp3((out / entries[0]["file"]).read_bytes())
    assert _wav_seconds(out / entries[1]["file"]) > 5
    files = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.jsonl"}
    assert len(files) == 2

    # Rerun: the two done lines are skipped, the invalid one is tried (and fails) again.
    rerun = mubert("--json", "batch", str(requests), "--out", str(out), env=env)
    assert rerun.code == 4, rerun
    document = json.loads(rerun.stdout)
    assert (document["ok"], document["skipped"], document["failed"]) == (2, 2, 1)
    again = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert again[:2] == entries[:2]  # same tracks, same timestamps
    assert {
        p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.jsonl"
    } == files

    # Fix the bad line and delete one file: the line is generated, the file downloaded again
    # from the same track (never a second track for a line).
    tracks_before = len(http_sim.customer.tracks)
    requests.write_text(requests.read_text().replace('"duration": 2', '"duration": 5'))
    (out / entries[0]["file"]).unlink()
    third = mubert("batch", str(requests), "--out", str(out), env=env)
    assert third.code == 0, third
    final = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert [e["status"] for e in final] == ["ok", "ok", "ok"]
    assert final[1] == entries[1]
    assert final[0]["track_id"] == entries[0]["track_id"]
    assert (out / final[0]["file"]).is_file()
    assert len(http_sim.customer.tracks) == tracks_before + 1
    assert "line 2: skipped" in third.stdout


# -- tracks, playlists, library, streaming ------------------------------------------------


def test_tracks_list_json_on_a_new_customer() -> None:
    run = mubert("--json", *SIM, "tracks", "list")
    assert run.code == 0, run
    assert json.loads(run.stdout) == {
        "data": [],
        "meta": {"total": 0, "limit": 25, "offset": 0},
    }


def test_tracks_download_of_unknown_track_exits_3(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = mubert(*SIM, "tracks", "download", "no-such-track", "--out", str(out))
    assert run.code == 3, run
    assert list(out.iterdir()) == []


def test_sim_keeps_its_tracks_between_runs_until_reset(tmp_path: Path, sim_state: Path) -> None:
    made = mubert(
        "generate", "--prompt", "rain", "-d", "5", "-o", str(tmp_path / "o"), *SIM, "--json"
    )
    assert made.code == 0, made
    track_id = json.loads(made.stdout)["results"][0]["track_id"]
    assert sim_state.is_file() and stat.S_IMODE(sim_state.stat().st_mode) == 0o600
    listed = mubert(*SIM, "--json", "tracks", "list")
    assert [t["id"] for t in json.loads(listed.stdout)["data"]] == [track_id], listed
    again = mubert(*SIM, "tracks", "download", track_id, "-o", str(tmp_path / "again.mp3"))
    assert again.code == 0 and _is_mp3((tmp_path / "again.mp3").read_bytes()), again
    reset = mubert("--sim-reset", "--json", "tracks", "list")
    assert reset.code == 0 and json.loads(reset.stdout)["data"] == [], reset
    sim_state.write_bytes(b"\x80\x04cos\nsystem\n.")  # not state: refused, never run
    fresh = mubert(*SIM, "--json", "tracks", "list")
    assert fresh.code == 0 and json.loads(fresh.stdout)["data"] == [], fresh
    assert "starting the simulator afresh" in fresh.stderr and "os.system" in fresh.stderr


def test_playlists_table_filter_and_json() -> None:
    run, as_json = mubert_all(
        (*SIM, "playlists", "--category", "moods", "--search", "calm"),
        (*SIM, "playlists", "--json"),
    )
    assert run.code == 0, run
    header, *rows = run.stdout.splitlines()
    assert header.split()[:4] == ["INDEX", "CATEGORY", "GROUP", "CHANNEL"]
    assert rows and all("Moods" in row for row in rows)
    listed = json.loads(as_json.stdout)
    assert {"playlist_index", "category", "group", "channel"} <= set(listed[0])


def test_library_params_and_tracks() -> None:
    params, tracks = mubert_all(
        ("--json", *SIM, "library", "params", "--genres", "Ambient"),
        (*SIM, "library", "tracks", "--mode", "loop", "--limit", "2", "--json"),
    )
    assert params.code == 0, params
    assert any(param["param"] == "moods" for param in json.loads(params.stdout))
    assert tracks.code == 0, tracks
    page = json.loads(tracks.stdout)
    assert len(page["data"]) <= 2 and all(t["mode"] == "loop" for t in page["data"])


def test_stream_link_is_redacted_and_saved_privately(tmp_path: Path) -> None:
    saved = tmp_path / "link.txt"
    shown, run = mubert_all(
        (*SIM, "stream-link", "1.0.0", "--bitrate", "128"),
        (*SIM, "stream-link", "1.0.0", "--save", str(saved)),
    )
    assert shown.code == 0, shown
    assert "customer_id=***" not in shown.stdout and "access_token=***" in shown.stdout
    assert run.code == 0, run
    assert run.stdout.strip() == str(saved)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    link = saved.read_text().strip()
    assert "access_token=***" not in link and "access_token=" in link


# -- the service directory -------------------------------------------------------------


def test_customers_and_licenses_on_the_simulator(tmp_path: Path) -> None:
    env_file = tmp_path / "user.env"
    listed, by_custom_id, get, update, delete, created, licenses, lic_get, lic_update = mubert_all(
        ("--json", *SIM, "customers", "list"),
        (*SIM, "customers", "get-by-custom-id", "mubert-cli"),
        (*SIM, "customers", "get", "nope"),
        (*SIM, "customers", "update", "nope", "--custom-id", "x"),
        (*SIM, "customers", "delete", "nope"),
        (*SIM, "customers", "create", "user-1", "--save-env", str(env_file)),
        ("--json", *SIM, "licenses", "list"),
        (*SIM, "licenses", "get", "nope"),
        (*SIM, "licenses", "update", "nope", "--webhook"),
    )
    assert listed.code == 0, listed
    [customer] = json.loads(listed.stdout)["data"]
    assert customer["custom_id"] == "mubert-cli" and customer["access"]["token"] == "***"
    assert by_custom_id.code == 0 and "mubert-cli" in by_custom_id.stdout, by_custom_id
    for run in (get, update, delete, lic_get, lic_update):
        assert run.code == 3, run
        assert run.stderr.startswith("error: NotFoundError:"), run

    assert created.code == 0 and "user-1" in created.stdout, created
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    token = env_file.read_text().split("MUBERT_ACCESS_TOKEN=")[1].strip()
    assert len(token) > 8 and token not in created.stdout + created.stderr

    assert licenses.code == 0, licenses
    [lic] = json.loads(licenses.stdout)
    assert lic["status"] == "active" and "features" in lic


def test_sim_passes_through_to_the_simulator_command() -> None:
    run, own = mubert_all(("sim", "--help"), ("generate", "--help"))
    assert run.code == 0, run
    assert "--port" in run.stdout
    # The same layout as the other commands' help (click's): usage, headings, sentences.
    assert run.stdout.startswith("Usage: mubert sim [OPTIONS]\n") and own.stdout.startswith(
        "Usage: mubert generate [OPTIONS]\n"
    )
    assert "\nOptions:\n" in run.stdout and "\nOptions:\n" in own.stdout
    assert "Show this message and exit." in run.stdout
    assert "Port, 0 for any free one. [default: 8080]" in " ".join(run.stdout.split())
    assert "MP3 files are real MP3 (encoded with lameenc)." in " ".join(run.stdout.split())


# -- real credentials over HTTP --------------------------------------------------------


def test_real_credentials_over_http_are_never_printed(http_sim: HttpSim, tmp_path: Path) -> None:
    options = {"env": http_sim.customer_env, "secrets": http_sim.secrets, "cwd": tmp_path}

    def documents(*commands: tuple[str, ...]) -> list[Any]:
        runs = mubert_all(*(("--json", *command) for command in commands), **options)
        for run in runs:
            assert run.code == 0, run
        return [json.loads(run.stdout) for run in runs]

    [generated, created] = documents(
        ("generate", "--prompt", "rain", "--duration", "5", "--out", str(tmp_path)),
        ("customers", "create", "http-user-2"),
    )
    track_id = generated["results"][0]["track_id"]
    assert created["access"]["token"] == "***"
    listing, track, saved, link, customer, found, lic = documents(
        ("tracks", "list"),
        ("tracks", "get", track_id),
        ("tracks", "download", track_id, "--out", str(tmp_path / "copy.mp3")),
        ("stream-link", "0.0.0"),
        ("customers", "get", created["id"]),
        ("customers", "get-by-custom-id", "http-user-2"),
        ("licenses", "get", http_sim.fake.license_id),
    )
    assert listing["meta"]["total"] >= 1 and track["id"] == track_id
    assert _is_mp3(Path(saved["file"]).read_bytes())
    assert "access_token=***" in link["link"]
    assert customer["custom_id"] == "http-user-2" and found["id"] == created["id"]
    [renamed, updated] = documents(
        ("customers", "update", created["id"], "--custom-id", "renamed"),
        ("licenses", "update", lic["id"], "--webhook-url", "https://example.com/h", "--webhook"),
    )
    assert renamed["custom_id"] == "renamed"
    assert updated["webhook_enabled"] is True and updated["webhook_url"] == "https://example.com/h"
    assert documents(("customers", "delete", created["id"])) == [{"deleted": created["id"]}]

    # Text mode, debug logs and a failing call print no credential either (mubert() checks).
    listing_text, failing = mubert_all(
        ("customers", "list"), ("--debug", "tracks", "get", "nope"), **options
    )
    assert listing_text.code == 0 and "http-user" in listing_text.stdout, listing_text
    assert failing.code == 3 and "[REDACTED]" in failing.stderr, failing


def test_ids_are_shown_only_tokens_are_masked(http_sim: HttpSim) -> None:
    options = {"env": http_sim.customer_env, "secrets": http_sim.secrets}
    run = mubert("customers", "list", "--json", "--all", **options)
    assert run.code == 0, run
    customers = json.loads(run.stdout)["data"]
    assert http_sim.customer.id in [c["id"] for c in customers]  # jq '.data[].id' works
    assert {c["company_id"] for c in customers} == {http_sim.fake.company_id}
    assert all(c["access"]["token"] == "***" for c in customers if c.get("access"))


def test_env_file_credentials_are_used_and_never_printed(http_sim: HttpSim, tmp_path: Path) -> None:
    env_file = tmp_path / "creds.env"
    creds = http_sim.customer_env
    env_file.write_text(
        "# the simulator's customer\n"
        + "".join(f'export {k}="{v}"\n' for k, v in creds.items() if k.startswith("MUBERT_"))
    )
    env = {**base_env(), **FAKE_CREDENTIALS}  # the file wins over these
    run = mubert("--env-file", str(env_file), "tracks", "list", env=env, secrets=http_sim.secrets)
    assert run.code == 0, run


# -- shell completion ------------------------------------------------------------------


def test_completion_scripts_and_the_completion_protocol() -> None:
    bash, zsh, fish, bad = mubert_all(
        ("completion", "bash"),
        ("completion", "zsh"),
        ("completion", "fish"),
        ("completion", "tcsh"),
    )
    assert bash.code == 0 and "_MUBERT_COMPLETE=bash_complete" in bash.stdout, bash
    assert zsh.code == 0 and zsh.stdout.startswith("#compdef mubert"), zsh
    assert fish.code == 0 and "complete --no-files --command mubert" in fish.stdout, fish
    assert bad.code == 2 and "tcsh" in bad.stderr, bad
    completed = subprocess.run(
        [sys.executable, "-m", "mubert_async.cli"],
        env={
            **base_env(),
            "_MUBERT_COMPLETE": "bash_complete",
            "COMP_WORDS": "mubert generate --fo",
            "COMP_CWORD": "2",
        },
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed
    assert {"plain,--format", "plain,--force"} <= set(completed.stdout.split()), completed
