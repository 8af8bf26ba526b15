"""Every Python block of the README runs, as written, against the simulator."""

from __future__ import annotations

import pytest
from docs_harness import ROOT, Group, groups, run

from mubert_async.testing import FakeMubert

README = ROOT / "README.md"
GROUPS = groups(README)


def test_the_readme_has_python_blocks() -> None:
    assert len(GROUPS) >= 6


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_readme_python_block(group: Group, api_env: FakeMubert) -> None:
    run(group)
