"""Every Python block of the README runs as written against the simulator; so do its --sim commands."""

from __future__ import annotations

import shlex
import sys
import wave
from pathlib import Path

import pytest
from docs_harness import ROOT, Group, blocks, groups, run, run_as_a_reader

from mubert_async.testing import FakeMubert

README = ROOT / "README.md"
GROUPS = groups(README)


def test_the_readme_has_python_blocks() -> None:
    assert len(GROUPS) >= 6


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_readme_python_block(group: Group, api_env: FakeMubert) -> None:
    run(group)


def sim_commands() -> list[list[str]]:
    """The ``mubert ... --sim ...`` commands of the README's bash blocks, as argument lists."""
    found = []
    for block in blocks(README, "bash"):
        for line in block.source.splitlines():
            for command in line.split("&&"):
                words = shlex.split(command, comments=True)
                if words and Path(words[0]).name == "mubert" and "--sim" in words:
                    found.append(words[1:])
    return found


SIM_COMMANDS = sim_commands()


def test_the_readme_has_sim_commands() -> None:
    assert SIM_COMMANDS[0][:2] == ["--sim", "generate"]  # the first command of the README
    assert len(SIM_COMMANDS) >= 2


@pytest.mark.parametrize("args", SIM_COMMANDS, ids=" ".join)
def test_readme_sim_command(args: list[str], tmp_path: Path) -> None:
    """Each runs as typed, through the installed ``mubert`` script, in a fresh folder."""
    mubert = Path(sys.executable).with_name("mubert")
    cache = str(tmp_path / "cache")  # whatever --sim keeps stays here
    assert run_as_a_reader([str(mubert), *args], tmp_path, XDG_CACHE_HOME=cache).strip()
    if "--out" in args:
        out = tmp_path / args[args.index("--out") + 1]
        count = int(args[args.index("--count") + 1]) if "--count" in args else 1
        assert len(list(out.iterdir())) == count
        if args[:2] == ["--sim", "generate"] and "wav" in args:  # the first command's promise
            for path in out.glob("*.wav"):
                with wave.open(str(path), "rb") as audio:
                    assert audio.getnframes() / audio.getframerate() == 30


def test_ci_runs_the_readme_commands_verbatim() -> None:
    """The README's test command is what ``.ci/run`` runs, between its marker comments."""
    setup = [block.source.strip() for block in blocks(README, "bash")][:2]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    verbatim = ci.split(" verbatim -", 1)[1].split("\n", 1)[1].split("\n# ---", 1)[0].strip()
    assert verbatim == setup[1]
    assert " -n 4 " in setup[1]  # 4 workers on 2 cores: most tests wait on sockets and timers
