"""Every Python block of the documentation site (docs/) runs as written against the simulator."""

from __future__ import annotations

import pytest
from docs_harness import ROOT, Group, groups, run

from mubert_async.testing import FakeMubert

PAGES = sorted((ROOT / "docs").rglob("*.md"))
GROUPS = [group for page in PAGES for group in groups(page)]


def test_the_site_has_python_blocks() -> None:
    assert len(GROUPS) >= 5


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_site_python_block(group: Group, api_env: FakeMubert) -> None:
    run(group)
