"""Issue 10, point 7: the client's API is discoverable, and the create fields are typed."""

from __future__ import annotations

import pydoc
import subprocess
import sys
import textwrap
from pathlib import Path

from mubert_async import MubertClient, MubertServiceClient


def test_help_shows_the_resources_and_hides_the_plumbing() -> None:
    text = pydoc.render_doc(MubertClient, renderer=pydoc.plaintext)
    for name in ("tracks", "playlists", "streaming", "library"):
        assert f"\n |  {name}\n" in text, name
    for internal in ("request_model", "\n |  auth", "\n |  request("):
        assert internal not in text, internal
    service = pydoc.render_doc(MubertServiceClient, renderer=pydoc.plaintext)
    assert "\n |  customers\n" in service and "\n |  licenses\n" in service


def test_a_misspelt_create_field_is_a_type_error(tmp_path: Path) -> None:
    snippet = tmp_path / "typo.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from mubert_async import MubertClient

            async def main(client: MubertClient) -> None:
                await client.tracks.generate(duration=30, promt="lofi")
                await client.tracks.generate(prompt="lofi")
                await client.tracks.generate(duration=30, prompt="fine", bpm=None)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout
    assert '"promt"' in out, out
    assert 'Missing named argument "duration"' in out or "duration" in out, out
    assert out.count("error:") == 2, out
