"""The command line's building blocks: redaction, output, env files, exit codes."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

import pytest

from mubert_async._redaction import Redactor, error_message, redact_link
from mubert_async.cli._files import EnvFileError, merge_env_file, parse_env_file, write_private
from mubert_async.cli._generate import Progress, exit_code_for
from mubert_async.cli._output import Output
from mubert_async.errors import InvalidRequestError, NotFoundError
from mubert_async.generation import BatchProgress


def test_redactor_masks_secrets_links_and_token_fields() -> None:
    redactor = Redactor(["token-1234567", None, "abc", " spaced-secret "])
    assert redactor.text("a token-1234567 b") == "a *** b"
    assert (
        redactor.text("abc stays: too short to be a credential")
        == "abc stays: too short to be a credential"
    )
    assert redactor.text("spaced-secret") == "***"
    link = "https://s.example/x?customer_id=c1&access_token=t1&playlist=1.0.0"
    assert redact_link(link) == "https://s.example/x?customer_id=c1&access_token=***&playlist=1.0.0"
    document = {"access": {"token": "t", "id": "i"}, "list": ["token-1234567", 3], "token": None}
    assert redactor.data(document) == {
        "access": {"token": "***", "id": "i"},
        "list": ["***", 3],
        "token": None,
    }


def test_output_tables_fields_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(Redactor(["secret-value-1"]))
    out.table(("A", "LONGER"), [("secret-value-1", None), ("x", True), ("multi\nline", ["p", "q"])])
    out.fields([("name", "v"), ("skipped", None), ("longer name", [])])
    out.table(("A",), [])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "A           LONGER",
        "***         -",
        "x           yes",
        "multi line  p, q",
    ]
    assert lines[4:] == ["name:        v", "longer name: -", "(none)"]
    out.json_mode = True
    out.line("hidden")
    out.table(("A",), [("x",)])
    out.json({"token": "t", "text": "secret-value-1"})
    assert capsys.readouterr().out == '{\n  "token": "***",\n  "text": "***"\n}\n'


def test_parse_env_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "\ufeff# comment\n\nexport A=1\nB = ' two # kept '\nC=\"x\"  # note\nD=plain # cut\nE=\n"
    )
    assert parse_env_file(path) == {"A": "1", "B": " two # kept ", "C": "x", "D": "plain", "E": ""}
    for text, message in [
        ("A='x' trailing\n", "text after the closing quote"),
        ("1A=x\n", "line 1: expected NAME=value"),
        ('A="x\n', "unterminated"),
    ]:
        path.write_text(text)
        with pytest.raises(EnvFileError, match=message):
            parse_env_file(path)
    with pytest.raises(EnvFileError, match="cannot read"):
        parse_env_file(tmp_path / "missing")


def test_merge_env_file_and_private_writes(tmp_path: Path) -> None:
    path = tmp_path / "new.env"
    merge_env_file(path, {"MUBERT_CUSTOMER_ID": "id-1", "MUBERT_ACCESS_TOKEN": "a b#c"})
    assert path.read_text() == "MUBERT_CUSTOMER_ID=id-1\nMUBERT_ACCESS_TOKEN='a b#c'\n"
    assert parse_env_file(path)["MUBERT_ACCESS_TOKEN"] == "a b#c"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(EnvFileError, match="cannot be written"):
        merge_env_file(path, {"X": "it's here"})
    public = tmp_path / "public"
    public.write_text("old")
    public.chmod(0o644)
    write_private(public, "new")
    assert public.read_text() == "new" and stat.S_IMODE(public.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_exit_codes_and_error_messages() -> None:
    invalid, missing = InvalidRequestError("f", "bad"), NotFoundError("gone", status=404)
    assert exit_code_for([], 0) == 0
    assert exit_code_for([None, None], 2) == 0
    assert exit_code_for([invalid, None], 1) == 4
    assert exit_code_for([invalid, invalid], 0) == 2
    assert exit_code_for([invalid, missing], 0) == 3
    assert error_message(OSError(errno.ENOSPC, "No space left on device", "/x")) == (
        "No space left on device: /x"
    )
    assert error_message(RuntimeError("a\n  b")) == "a b"
    assert error_message(RuntimeError()) == "RuntimeError"


def test_progress_bar_writes_lines_above_itself(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(Redactor(["secret-value-2"]))
    progress = Progress(out, 2, enabled=True, desc="testing")
    progress.batch(BatchProgress(done=0, failed=0, in_flight=2, total=2))
    out.line("first secret-value-2")
    progress.advance(failed=False)
    out.note("a failure")
    progress.advance(failed=True)
    progress.close()
    progress.close()
    captured = capsys.readouterr()
    assert captured.out == "first ***\n"
    assert "a failure" in captured.err and "2/2" in captured.err and "failed=1" in captured.err
    Progress(out, 0, enabled=True, desc="nothing").close()  # no bar for no work
    assert capsys.readouterr().err == ""


def test_a_lost_create_is_matched_by_its_parameters() -> None:
    from mubert_async.cli._batch_run import matches
    from mubert_async.models import Track, TrackRequest

    request = TrackRequest(30, prompt="rain", bpm=None, format="wav")
    assert matches(Track(id="t", prompt="rain", duration=31, format="wav"), request)
    assert not matches(Track(id="t", prompt="snow", duration=30), request)
    assert not matches(Track(id="t", prompt="rain", duration=40), request)
    assert not matches(Track(id="t", prompt="rain", duration=30, format="mp3"), request)
    channel = TrackRequest(60, playlist_index="1.0.0", bpm=120)
    assert matches(Track(id="t", playlist_index="1.0.0", duration=60, bpm=120), channel)
    assert not matches(Track(id="t", playlist_index="1.0.0", duration=60, bpm=90), channel)
    assert not matches(Track(id="t", playlist_index="1.0.1", duration=60), channel)
