"""The examples run as users run them: as scripts, on the simulator, and exit 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 60) -> str:
    """Run ``python args...`` from the repository root without Mubert credentials."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MUBERT_")}
    env["PYTHONUTF8"] = "1"
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"exit {completed.returncode}\n--- stdout\n{completed.stdout}\n"
        f"--- stderr\n{completed.stderr}"
    )
    return completed.stdout


def test_quickstart_sim() -> None:
    out = run("examples/quickstart_sim.py")
    assert re.search(r"customer \S+ created for custom_id 'demo-user-1'", out)
    assert re.search(r"track \S+ is done: https://", out)
    assert "the customer has 1 track(s)" in out


def test_aiohttp_service_self_test() -> None:
    out = run("examples/aiohttp_service.py", "--self-test")
    assert re.search(r"Mubert simulator on http://127\.0\.0\.1:\d+/api/v3", out)
    assert len(re.findall(r"POST /users/(alice|bob)/tracks .* -> 200 .*'status': 'done'", out)) == 5
    assert re.search(r"'duration': 1\} -> 400 .*'field': 'duration'", out)
    assert re.search(r"/users/not a valid id/tracks .* -> 400", out)
    assert re.search(r"'over quota'.* -> 429 .*'quota_exceeded'", out)
    assert "self-test passed" in out
    answers = [line for line in out.splitlines() if line.startswith("POST ")]
    assert len(answers) == 8
    assert not any("token" in line.lower() for line in answers)


def test_notebook_batch_as_script(tmp_path: Path) -> None:
    out_dir = tmp_path / "tracks"
    out = run("examples/notebook_batch.py", "--out", str(out_dir))
    summary = re.search(r"(\d+) of 12 tracks done, (\d+) failed", out)
    assert summary, out
    done, failed = int(summary[1]), int(summary[2])
    assert done + failed == 12
    assert done >= 6
    assert len(re.findall(r"^done ", out, re.MULTILINE)) == done
    assert len(re.findall(r"^failed #\d+ ", out, re.MULTILINE)) == failed
    files = sorted(out_dir.glob("*.wav"))
    assert len(files) == done
    assert f"{done} files in {out_dir}" in out
    with wave.open(str(files[0]), "rb") as audio:
        assert audio.getnframes() / audio.getframerate() == 10  # DURATION seconds


def outputs(cell: Any) -> list[Any]:
    return list(cell.get("outputs", []))


def test_notebook_batch_in_a_jupyter_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened as a notebook (jupytext) and run cell by cell in a real IPython kernel."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    for name in ("MUBERT_CUSTOMER_ID", "MUBERT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("TMPDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR"):  # nothing shared, nothing left
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
        (tmp_path / name.lower()).mkdir()
    notebook = jupytext.read(ROOT / "examples" / "notebook_batch.py")
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    ).execute()
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    produced = [output for cell in cells for output in outputs(cell)]
    assert not [output for output in produced if output.output_type == "error"], produced
    widgets = [
        o for o in produced if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets, "no progress bar widget"
    players = [o for o in produced if "<audio" in o.get("data", {}).get("text/html", "")]
    text = "".join(o.get("text", "") for o in produced if o.output_type == "stream")
    summary = re.search(r"(\d+) of 12 tracks done, (\d+) failed", text)
    assert summary, text
    done, failed = int(summary[1]), int(summary[2])
    assert done >= 6 and len(players) == done
    assert len(re.findall(r"^failed #\d+ ", text, re.MULTILINE)) == failed
    files = list((tmp_path / "tmpdir").glob("mubert-batch-*/*.wav"))
    assert len(files) == done and f"{done} files in " in text


def test_game_server() -> None:
    out = run("examples/game_server.py")
    assert "concurrency limit of this customer: 4" in out
    assert re.search(r"loading done: calm=\d\+\d tense=\d\+\d battle=\d\+\d", out)
    assert len(re.findall(r"enter a (calm|tense|battle) zone", out)) == 6
    assert re.search(r"tick 20: ambush! -> stream intensity high", out)
    assert "game over after 60 ticks" in out
    assert re.search(r"shut down: 0 generations in flight, \d+ loops generated", out)
    assert "access_token" not in out
    peak = re.search(r"OK: peak in flight (\d) <= limit 4, no track made twice", out)
    assert peak, out
    assert 1 <= int(peak[1]) <= 4
