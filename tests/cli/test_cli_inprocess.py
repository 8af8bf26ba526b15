"""The ``mubert`` command line run in-process (``main(argv)``), against a shared ``--sim``."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

import mubert_async.cli
from mubert_async.cli import INSTALL_HINT, main
from mubert_async.cli import _context as cli_context
from mubert_async.cli._context import Simulator
from mubert_async.cli._manifest import now_iso
from mubert_async.testing import FakeMubert, Fault

SECRET_TOKEN = "tok-INPROCESS-SECRET-93ab1f"
SECRET_ID = "cust-INPROCESS-SECRET-4411"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


class Result:
    """Exit code and output of one in-process run."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """One simulator shared by every ``--sim`` run of the test (state survives between runs)."""
    shared = Simulator(0.02)
    monkeypatch.setattr(cli_context, "Simulator", lambda *_args, **_kwargs: shared)
    return shared


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MUBERT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MUBERT_ACCESS_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("MUBERT_CUSTOMER_ID", SECRET_ID)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        for secret in (SECRET_TOKEN, SECRET_ID):
            assert secret not in captured.out + captured.err
        return Result(code, captured.out, captured.err)

    return run


def test_main_without_click_prints_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "click", None)
    importlib.reload(mubert_async.cli)  # importing the package never needs click
    assert main(["--help"]) == 1
    assert capsys.readouterr().err.strip() == INSTALL_HINT
    assert 'pip install "mubert-async[cli]"' in INSTALL_HINT


def test_generate_then_find_and_download_the_tracks(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    run = cli(
        "--sim", "generate", "--prompt", "rain", "-n", "3", "-d", "5", "-o", str(tmp_path / "a")
    )
    assert run.code == 0, run
    assert len(run.out.splitlines()) == 3 and "saved 3 of 3" in run.err

    listing = cli("--sim", "tracks", "list", "--limit", "2")
    assert listing.code == 0, listing
    assert len(listing.out.splitlines()) == 3 and "showing 1-2 of 3" in listing.err
    every = cli("--sim", "tracks", "list", "--all", "--order", "asc", "--json").json()
    assert every["meta"]["total"] == 3
    track_id = every["data"][0]["id"]

    shown = cli("--sim", "tracks", "get", track_id)
    assert shown.code == 0 and "id:" in shown.out and "prompt:    rain" in shown.out, shown
    assert "GENERATION" in shown.out

    target = tmp_path / "deep" / "song.mp3"
    saved = cli("--sim", "tracks", "download", track_id, "--out", str(target), "--format", "mp3")
    assert saved.code == 0 and saved.out.strip() == str(target) and target.is_file(), saved
    into = cli("--sim", "--json", "tracks", "download", track_id, "-o", str(tmp_path / "new"))
    assert into.json()["file"] == str(tmp_path / "new" / f"{track_id}.mp3")
    wrong = cli("--sim", "tracks", "download", track_id, "--format", "wav", "-o", str(tmp_path))
    assert wrong.code == 2 and "InvalidRequestError" in wrong.err, wrong


def test_generate_from_an_image_and_a_playlist(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    image = tmp_path / "cover.png"
    image.write_bytes(PNG)
    run = cli("--sim", "--json", "generate", "--image", str(image), "-d", "5", "-o", str(tmp_path))
    assert run.code == 0 and run.json()["ok"] == 1, run
    run = cli(
        "--sim", "generate", "--playlist", "1.0.0", "--bpm", "100", "--key", "C", "--mode", "loop",
        "--intensity", "low", "--bitrate", "320", "--format", "wav", "-d", "5", "-o", str(tmp_path),
        "--concurrency", "2", "--timeout", "30", "--no-progress",
    )  # fmt: skip
    assert run.code == 0 and run.out.strip().endswith(".wav"), run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --prompt, --playlist or --image"),
        (("--prompt", "a", "--playlist", "1.0.0"), "got --prompt, --playlist"),
        (("--prompt", "a", "--duration", "1"), "duration: must be between 5 and 3600"),
    ],
)
def test_generate_usage_errors(cli: Any, args: tuple[str, ...], message: str) -> None:
    run = cli("--sim", "generate", *args)
    assert run.code == 2 and message in run.err, run


def test_generate_partial_and_total_failure(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    sim.fake.set_customer_limits(sim.customer, total_tracks_count_limit=1)
    run = cli(
        "--sim", "--json", "generate", "--prompt", "a", "-n", "3", "-d", "5", "-o", str(tmp_path)
    )
    assert run.code == 4, run
    document = run.json()
    assert (document["ok"], document["failed"]) == (1, 2)
    errors = [r["error"] for r in document["results"] if r["status"] == "error"]
    assert all(e["type"] == "QuotaExceededError" for e in errors)
    run = cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(tmp_path))
    assert run.code == 3 and "QuotaExceededError" in run.err and run.out == "", run


def test_output_directory_that_is_a_file_exits_2(cli: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(blocker / "sub"))
    assert run.code == 2 and "cannot use" in run.err, run


# -- batch --------------------------------------------------------------------------------


def test_batch_lines_defaults_images_and_resume(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "cover.png").write_bytes(PNG)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(
            [
                '{"prompt": "a"}',  # duration from --duration
                '{"image": "img/cover.png", "duration": 6}',  # relative to the batch file
                "[1, 2]",
                '{"prompt": "a", "duration": 5, "colour": "red"}',
                '{"prompt": "a", "duration": "5"}',
                "{broken",
                '{"image": "img/missing.png", "duration": 6}',
            ]
        )
    )
    out = tmp_path / "out"
    run = cli("--sim", "batch", str(batch), "-o", str(out), "-d", "5", "--format", "wav")
    assert run.code == 4, run
    entries = {
        e["line"]: e for e in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    assert sorted(entries) == [1, 2, 3, 4, 5, 6, 7]
    assert entries[1]["status"] == entries[2]["status"] == "ok"
    assert entries[1]["request"] == {"duration": 5, "format": "wav", "prompt": "a"}
    assert entries[1]["file"].endswith(".wav")
    assert "JSON object" in entries[3]["error_message"]
    assert "colour" in entries[4]["error_message"]
    assert entries[5]["error_message"].startswith("duration: must be an integer")
    assert entries[6]["request"] == "{broken" and "not JSON" in entries[6]["error_message"]
    assert (
        entries[7]["error_type"] == "InvalidRequestError"
        and "missing.png" in entries[7]["error_message"]
    )

    # A crash may leave a cut-off line: it is ignored. Changed defaults regenerate a line.
    with (out / "manifest.jsonl").open("a") as manifest:
        manifest.write('{"line": 2, "sta')
    rerun = cli(
        "--sim", "--json", "batch", str(batch), "-o", str(out), "-d", "6", "--format", "wav"
    )
    assert rerun.code == 4, rerun
    document = rerun.json()
    assert document["skipped"] == 1 and document["ok"] == 2
    [first] = [e for e in document["entries"] if e["line"] == 1]
    assert first["skipped"] is False and first["request"]["duration"] == 6
    assert first["track_id"] != entries[1]["track_id"]


def test_batch_all_invalid_exits_2_and_empty_file_exits_0(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a"}\n')
    run = cli("--sim", "batch", str(bad), "-o", str(tmp_path / "o"))
    assert run.code == 2 and "has no duration" in run.out, run
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    run = cli("--sim", "batch", str(empty), "-o", str(tmp_path / "o2"))
    assert run.code == 0 and "0 of 0" in run.err, run
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    run = cli("--sim", "batch", str(binary))
    assert run.code == 2 and "UTF-8" in run.err, run


# -- catalog and streaming ---------------------------------------------------------------


def test_playlists_library_and_stream_links(cli: Any, tmp_path: Path) -> None:
    run = cli("--sim", "playlists", "--group", "calm")
    assert run.code == 0 and "Peaceful" in run.out, run
    assert cli("--sim", "playlists", "--search", "no-such-channel").out.strip() == "(none)"
    params = cli("--sim", "library", "params", "--bpm", "170", "--mode", "mix")
    assert params.code == 0 and params.out.startswith("PARAM"), params
    tracks = cli("--sim", "library", "tracks", "--limit", "1", "--key", "F#", "--duration", "1500")
    assert tracks.code == 0, tracks
    tracks = cli("--sim", "library", "tracks", "--limit", "1", "--offset", "3")
    assert "showing 4-4 of" in tracks.err
    link = cli("--sim", "stream-link", "0.0.0", "--json", "--intensity", "low", "--type", "http")
    assert link.code == 0 and "access_token=***" in link.json()["link"], link
    saved = cli("--sim", "--json", "stream-link", "0.0.0", "--save", str(tmp_path / "link"))
    assert saved.json() == {"saved": str(tmp_path / "link")}
    unwritable = cli("--sim", "stream-link", "0.0.0", "--save", str(tmp_path / "no" / "dir" / "f"))
    assert unwritable.code == 1 and "cannot write" in unwritable.err, unwritable
    assert cli("--sim", "stream-link", "not-an-index").code == 2


# -- the service directory ---------------------------------------------------------------


def test_customer_lifecycle_and_env_file(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# mine\nOTHER=1\nMUBERT_ACCESS_TOKEN=old\nMUBERT_ACCESS_TOKEN=older\n")
    created = cli("--sim", "--json", "customers", "create", "user-9", "--save-env", str(env_file))
    assert created.code == 0, created
    customer = created.json()
    assert customer["access"]["token"] == "***"
    lines = env_file.read_text().splitlines()
    assert lines[:2] == ["# mine", "OTHER=1"] and len(lines) == 4
    assert lines[3] == f"MUBERT_CUSTOMER_ID={customer['id']}"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    token = lines[2].removeprefix("MUBERT_ACCESS_TOKEN=")
    assert token not in created.out + created.err and len(token) > 8

    shown = cli("--sim", "customers", "get", customer["id"])
    assert shown.code == 0 and "custom id:" in shown.out and token not in shown.out, shown
    renamed = cli("--sim", "customers", "update", customer["id"], "--custom-id", "user-10")
    assert renamed.code == 0 and "user-10" in renamed.out, renamed
    assert cli("--sim", "customers", "get-by-custom-id", "user-10").code == 0
    listing = cli("--sim", "customers", "list", "--limit", "1")
    assert listing.code == 0 and "showing 1-1 of 2" in listing.err, listing
    assert cli("--sim", "--json", "customers", "list", "--all").json()["meta"]["total"] == 2
    deleted = cli("--sim", "customers", "delete", customer["id"])
    assert deleted.code == 0 and deleted.out.strip() == f"deleted customer {customer['id']}"
    assert cli("--sim", "customers", "get", customer["id"]).code == 3
    assert cli("--sim", "customers", "create", "bad id!").code == 2

    # The file exists but is unreadable as text: the customer is made, the error says so.
    broken = tmp_path / "broken.env"
    broken.write_bytes(b"\xff\xfe")
    run = cli("--sim", "customers", "create", "user-11", "--save-env", str(broken))
    assert run.code == 1 and "was created" in run.err, run


@pytest.mark.parametrize(
    ("command", "argument", "shown"),
    [
        (("customers", "get"), lambda sim: sim.customer.id, "custom id:"),
        (("customers", "get-by-custom-id"), lambda sim: sim.customer.custom_id, "custom id:"),
        (("licenses", "get"), lambda sim: sim.fake.license_id, "features:"),
        (("tracks", "get"), lambda sim: sim.customer.tracks[0].id, "GENERATION"),
    ],
    ids=["customers-get", "customers-get-by-custom-id", "licenses-get", "tracks-get"],
)
def test_lookups_show_text_or_exactly_one_json_document(
    cli: Any, sim: Simulator, tmp_path: Path, command: tuple[str, str], argument: Any, shown: str
) -> None:
    assert cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(tmp_path)).code == 0
    value = argument(sim)
    text = cli("--sim", *command, value)
    assert text.code == 0 and shown in text.out and not text.out.lstrip().startswith("{"), text
    document = cli("--sim", "--json", *command, value)
    assert document.code == 0 and value in document.json().values(), document
    missing = cli("--sim", "--json", *command, "no-such-id")
    assert missing.code == 3 and missing.out == "", missing
    usage = cli("--sim", *command)
    assert usage.code == 2 and "Missing argument" in usage.err, usage


def test_lookup_help_is_the_fetch_docstring(cli: Any) -> None:
    run = cli("customers", "get-by-custom-id", "--help")
    assert (
        run.code == 0 and "Usage: mubert customers get-by-custom-id [OPTIONS] CUSTOM_ID" in run.out
    )
    assert "Show the customer with this custom id (your own id for the user)." in run.out


def test_licenses(cli: Any, sim: Simulator) -> None:
    license_id = sim.fake.license_id
    listing = cli("--sim", "licenses", "list")
    assert listing.code == 0 and license_id in listing.out, listing
    shown = cli("--sim", "licenses", "get", license_id)
    assert shown.code == 0 and "features:" in shown.out and "customers:" in shown.out, shown
    updated = cli("--sim", "licenses", "update", license_id, "--webhook-url", "https://h.example/x")
    assert updated.code == 0 and "https://h.example/x" in updated.out, updated
    cleared = cli(
        "--sim", "--json", "licenses", "update", license_id, "--no-webhook-url", "--no-webhook"
    )
    assert cleared.json()["webhook_url"] is None and cleared.json()["webhook_enabled"] is False
    nothing = cli("--sim", "licenses", "update", license_id)
    assert nothing.code == 2 and "nothing to change" in nothing.err, nothing
    both = cli(
        "--sim",
        "licenses",
        "update",
        license_id,
        "--webhook-url",
        "https://a.b",
        "--no-webhook-url",
    )
    assert both.code == 2 and "exclude each other" in both.err
    assert cli("--sim", "licenses", "update", license_id, "--webhook-url", "ftp://x").code == 2


# -- global options, credentials and errors --------------------------------------------


def test_env_file_wins_and_bad_env_files(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "creds.env"
    env_file.write_text(
        "export MUBERT_BASE_URL='http://example.com/api'  # plain http: refused\n"
        'MUBERT_COMPANY_ID="comp-from-file-123"\n'
        "MUBERT_LICENSE_TOKEN=lic-from-file-456 # comment\n"
    )
    run = cli("--env-file", str(env_file), "licenses", "list")
    assert run.code == 2 and "plain http is only allowed to loopback" in run.err, run
    monkeypatch.setenv("MUBERT_ENV_FILE", str(env_file))
    assert cli("tracks", "list").code == 2
    bad = tmp_path / "bad.env"
    bad.write_text(f"MUBERT_ACCESS_TOKEN={SECRET_TOKEN}\nnot a line {SECRET_TOKEN}\n")
    run = cli("--env-file", str(bad), "tracks", "list")
    assert run.code == 2 and "line 2: expected NAME=value" in run.err, run
    unterminated = tmp_path / "quote.env"
    unterminated.write_text("MUBERT_ACCESS_TOKEN='abc\n")
    assert "unterminated" in cli("--env-file", str(unterminated), "tracks", "list").err
    assert cli("--env-file", str(tmp_path / "missing.env"), "tracks", "list").code == 2


def test_global_option_conflicts_version_and_sim_passthrough(cli: Any) -> None:
    run = cli("--sim", "--base-url", "http://127.0.0.1:1/api", "tracks", "list")
    assert run.code == 2 and "exclude each other" in run.err, run
    version = cli("--version")
    assert version.code == 0 and version.out.startswith("mubert, version")
    sim_help = cli("sim", "--help")
    assert sim_help.code == 0 and "--port" in sim_help.out
    assert cli("sim", "--port", "not-a-number").code == 2
    assert cli().code in (0, 2)  # no command: the help


def test_connection_failure_says_it_is_retrying_and_exits_3(cli: Any, sleeps: list[float]) -> None:
    run = cli("--base-url", "http://127.0.0.1:9/api/v3", "--timeout", "2", "tracks", "get", "x")
    assert run.code == 3, run
    *notes, last = run.err.splitlines()
    assert last.startswith("error: TransportError"), run
    assert notes and all(n.startswith("note: retrying GET http://127.0.0.1:9/") for n in notes)
    assert "after TransportError" in notes[0]
    quiet = cli("--base-url", "http://127.0.0.1:9/api/v3", "tracks", "get", "x", "--quiet")
    assert quiet.code == 3 and quiet.err.startswith("error: TransportError"), quiet


def test_unexpected_errors_exit_1_redacted(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(_main: Any) -> Any:
        raise RuntimeError(f"boom with {SECRET_TOKEN} inside")

    monkeypatch.setattr("mubert_async.cli._context.run_async", explode)
    run = cli("--sim", "--debug", "tracks", "list")
    assert run.code == 1 and "RuntimeError: boom with *** inside" in run.err, run
    assert "Traceback" in run.err


def test_interrupt_exits_130(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(_main: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("mubert_async.cli._context.run_async", interrupt)
    run = cli("--sim", "playlists")
    assert run.code == 130 and "interrupted" in run.err, run


def test_a_failed_download_is_a_failed_item(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    sim.fake.faults.add(Fault.reset_during_body(times=1))
    run = cli("--sim", "generate", "--prompt", "a", "-n", "2", "-d", "5", "-o", str(tmp_path))
    assert run.code == 4, run
    assert len(run.out.splitlines()) == 1 and "TransportError" in run.err
    assert len(list(tmp_path.iterdir())) == 1  # nothing half-written is left behind


def _manifest(out: Path) -> dict[int, dict[str, Any]]:
    entries = map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    return {e["line"]: e for e in entries}


def test_batch_resume_adopts_lost_creates_and_waits_for_recorded_tracks(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    """A run killed mid-create left line 1 'sending' (its track was made) and line 2 'created'."""
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"prompt": "rain", "duration": 5}\n' * 3)
    out = tmp_path / "out"
    out.mkdir()

    async def make_two() -> list[str]:
        async with sim.fake.client(sim.customer) as client:
            return [(await client.tracks.create(prompt="rain", duration=5)).id for _ in "ab"]

    sent_at = now_iso()
    lost, recorded = asyncio.run(make_two())
    request = {"prompt": "rain", "duration": 5}
    (out / "manifest.jsonl").write_text(
        json.dumps({"line": 1, "request": request, "status": "sending", "sent_at": sent_at})
        + "\n"
        + json.dumps({"line": 2, "request": request, "status": "created", "track_id": recorded})
        + "\n"
    )
    run = cli("--sim", "batch", str(batch), "-o", str(out))
    assert run.code == 0, run
    entries = _manifest(out)
    assert entries[1]["track_id"] == lost and entries[2]["track_id"] == recorded
    assert entries[3]["track_id"] not in (lost, recorded)
    assert len(sim.customer.tracks) == 3  # one new track: for line 3 only
    assert all((out / e["file"]).is_file() for e in entries.values())


def test_batch_create_answered_with_a_reset_is_adopted_not_repeated(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"prompt": "wind", "duration": 5}\n{"prompt": "wind", "duration": 5}\n')
    sim.fake.faults.add(Fault.reset(after_processing=True, method="POST", times=2))
    sim.fake.faults.add(Fault.server_error(502, method="POST", times=1))
    run = cli("--sim", "batch", str(batch), "-o", str(tmp_path / "out"))
    assert run.code == 0, run
    entries = _manifest(tmp_path / "out")
    assert sorted(e["track_id"] for e in entries.values()) == sorted(
        t.id for t in sim.customer.tracks
    )
    assert len(sim.customer.tracks) == 2


def test_batch_failed_generation_is_retried_only_when_asked(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failing = Simulator(0.02)
    failing.fake = FakeMubert(generation_time=0.02, failure_rate=1.0, seed=None)
    failing.customer = failing.fake.add_customer("failing")
    monkeypatch.setattr(cli_context, "Simulator", lambda *_args, **_kwargs: failing)
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"prompt": "storm", "duration": 5}\n')
    out = tmp_path / "out"
    first = cli("--sim", "batch", str(batch), "-o", str(out))
    assert first.code == 3 and "GenerationFailedError" in first.out, first
    again = cli("--sim", "batch", str(batch), "-o", str(out))
    assert again.code == 3 and len(failing.customer.tracks) == 1, again
    assert _manifest(out)[1]["track_id"] == failing.customer.tracks[0].id
    retried = cli("--sim", "batch", str(batch), "-o", str(out), "--retry-failed")
    assert retried.code == 3 and len(failing.customer.tracks) == 2, retried


def test_global_options_are_accepted_after_the_command(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    out = tmp_path / "a"
    run = cli("generate", "--prompt", "a", "-d", "5", "-o", str(out), "--sim", "--json", "--quiet")
    assert run.code == 0 and run.err == "", run
    assert run.json()["ok"] == 1
    listed = cli("tracks", "list", "--sim", "--json")
    assert listed.code == 0 and listed.json()["meta"]["total"] == 1, listed
    both = cli("tracks", "list", "--base-url", "http://127.0.0.1:1/api", "--sim")
    assert both.code == 2 and "exclude each other" in both.err, both
    env_file = tmp_path / "c.env"
    env_file.write_text("MUBERT_BASE_URL=http://example.com/api\n")
    from_file = cli("tracks", "list", "--env-file", str(env_file))
    assert from_file.code == 2 and "plain http" in from_file.err, from_file
    both_levels = cli("--sim-generation-time", "0", "playlists", "--sim", "--search", "calm")
    assert both_levels.code == 0 and "Peaceful" in both_levels.out, both_levels
    debug = cli("tracks", "list", "--sim", "--debug")
    assert debug.code == 0 and "DEBUG mubert_async: request GET" in debug.err, debug
    assert "[REDACTED]" in debug.err


def test_json_errors_are_json_objects_on_stderr(cli: Any, sim: Simulator) -> None:
    missing = cli("--sim", "tracks", "get", "nope", "--json")
    assert missing.code == 3 and missing.out == "", missing
    error = json.loads(missing.err)["error"]
    assert error["type"] == "NotFoundError" and error["exit_code"] == 3 and error["message"]
    usage = cli("generate", "--bogus", "--json")
    assert usage.code == 2, usage
    error = json.loads(usage.err)["error"]
    assert error["type"] == "NoSuchOption" and error["exit_code"] == 2
    assert "--bogus" in error["message"]
    credentials = cli("--json", "customers", "list")
    assert json.loads(credentials.err)["error"]["message"].startswith("missing credentials")
    plain = cli("--sim", "tracks", "get", "nope")
    assert plain.err.startswith("error: NotFoundError: "), plain


def test_quiet_drops_notes_but_never_errors(cli: Any, sim: Simulator, tmp_path: Path) -> None:
    loud = cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(tmp_path))
    assert "saved 1 of 1" in loud.err, loud
    quiet = cli("--sim", "--quiet", "generate", "--prompt", "a", "-d", "5", "-o", str(tmp_path))
    assert quiet.code == 0 and quiet.err == "" and quiet.out.strip(), quiet
    failing = cli("--sim", "--quiet", "tracks", "get", "nope")
    assert failing.code == 3 and failing.err.startswith("error: NotFoundError"), failing


# -- -o/--out ----------------------------------------------------------------------------


def test_out_file_is_a_file_never_overwritten_and_its_suffix_is_the_format(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    song = tmp_path / "new.mp3"
    made = cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(song), "--format", "mp3")
    assert made.code == 0 and song.is_file() and made.out.strip() == str(song), made
    assert song.read_bytes()[:1] == b"\xff" or song.read_bytes()[:3] == b"ID3"  # MP3, not WAV
    again = cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(song))
    assert again.code == 2 and "--force" in again.err, again
    assert len(sim.customer.tracks) == 1  # refused before anything was sent
    forced = cli("--sim", "generate", "--prompt", "b", "-d", "5", "-o", str(song), "--force")
    assert forced.code == 0, forced

    wav = tmp_path / "take.wav"  # no --format: the suffix picks it
    assert cli("--sim", "generate", "--prompt", "a", "-d", "5", "-o", str(wav)).code == 0
    assert wav.read_bytes()[:4] == b"RIFF"
    clash = cli(
        "--sim",
        "generate",
        "--prompt",
        "a",
        "-d",
        "5",
        "-o",
        str(tmp_path / "x.mp3"),
        "--format",
        "wav",
    )
    assert clash.code == 2 and "make them agree" in clash.err, clash

    several = cli(
        "--sim", "generate", "--prompt", "a", "-d", "5", "-n", "2", "-o", str(tmp_path / "s.wav")
    )
    assert several.code == 0, several
    assert (tmp_path / "s-1.wav").is_file() and (tmp_path / "s-2.wav").is_file()


def test_tracks_download_refuses_overwrite_and_a_mismatched_suffix(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    made = cli(
        "--sim",
        "--json",
        "generate",
        "--prompt",
        "a",
        "-d",
        "5",
        "--format",
        "wav",
        "-o",
        str(tmp_path / "d"),
    )
    track_id = made.json()["results"][0]["track_id"]
    precious = tmp_path / "precious.wav"
    precious.write_bytes(b"mine")
    kept = cli("--sim", "tracks", "download", track_id, "-o", str(precious))
    assert kept.code == 2 and "--force" in kept.err and precious.read_bytes() == b"mine", kept
    forced = cli("--sim", "tracks", "download", track_id, "-o", str(precious), "--force")
    assert forced.code == 0 and precious.read_bytes()[:4] == b"RIFF", forced
    as_mp3 = tmp_path / "x.mp3"
    wrong = cli("--sim", "tracks", "download", track_id, "-o", str(as_mp3))
    assert wrong.code == 2 and not as_mp3.exists(), wrong
    assert "mp3" in wrong.err
    into_dir = cli("--sim", "tracks", "download", track_id, "-o", str(tmp_path / "dir") + os.sep)
    assert into_dir.code == 0 and Path(into_dir.out.strip()).name == f"{track_id}.wav"


def test_batch_out_must_be_a_directory(cli: Any, tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"prompt": "a", "duration": 5}\n')
    run = cli("--sim", "batch", str(batch), "-o", str(tmp_path / "all.mp3"))
    assert run.code == 2 and "writes a directory" in run.err, run


def test_sim_generate_default_format_is_audible_mp3(
    cli: Any, sim: Simulator, tmp_path: Path
) -> None:
    miniaudio = pytest.importorskip("miniaudio")
    pytest.importorskip("lameenc")
    run = cli("--sim", "generate", "--prompt", "calm piano", "-d", "5", "-o", str(tmp_path))
    assert run.code == 0, run
    [path] = tmp_path.iterdir()
    assert path.suffix == ".mp3"  # the license's default format
    sound = miniaudio.decode(path.read_bytes(), output_format=miniaudio.SampleFormat.SIGNED16)
    assert abs(sound.duration - 5) < 0.1
    assert max(abs(x) for x in sound.samples) > 3000  # not silence
