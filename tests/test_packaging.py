"""What a user gets from the package metadata: the licence, the links, the pytest plugin."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = importlib.metadata.metadata("mubert-async")


def test_the_declared_mit_licence_is_shipped() -> None:
    assert METADATA["License-Expression"] == "MIT"
    assert METADATA.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "mubert-async contributors" in text


def test_project_urls_do_not_pass_the_apis_docs_off_as_the_sdks() -> None:
    # The SDK's documentation is its README; there is no public repository yet.
    assert METADATA.get_all("Project-URL") == [
        "Mubert API reference, https://music-api.mubert.com/api/v3/swagger"
    ]


def test_the_pytest_plugin_is_an_installed_entry_point() -> None:
    plugins = [
        entry.value
        for entry in importlib.metadata.entry_points(group="pytest11")
        if entry.value.startswith("mubert_async")
    ]
    assert plugins == ["mubert_async.testing.pytest_plugin"]


def test_the_notebook_extra_makes_a_widget_progress_bar() -> None:
    requires = METADATA.get_all("Requires-Dist") or []
    notebook = {r.split(">")[0] for r in requires if r.endswith("extra == 'notebook'")}
    assert notebook == {"tqdm", "ipywidgets"}


def test_the_readme_says_its_install_lines_need_a_clone() -> None:
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[0]
    assert 'pip install -q -e ".[' in top
    assert "install from a clone" in top and "not\npublished on PyPI yet" in top
