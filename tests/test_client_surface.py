"""Issue 10, point 7: the client's API is discoverable (``help(MubertClient)``)."""

from __future__ import annotations

import pydoc

from mubert_async import MubertClient, MubertServiceClient


def test_help_shows_the_resources_and_hides_the_plumbing() -> None:
    text = pydoc.render_doc(MubertClient, renderer=pydoc.plaintext)
    for name in ("tracks", "playlists", "streaming", "library"):
        assert f"\n |  {name}\n" in text, name
    for internal in ("request_model", "\n |  auth", "\n |  request("):
        assert internal not in text, internal
    service = pydoc.render_doc(MubertServiceClient, renderer=pydoc.plaintext)
    assert "\n |  customers\n" in service and "\n |  licenses\n" in service


# The create fields' typing (``promt=`` caught) is checked by mypy in ``.ci/run``:
# tests/typing/check_create_fields.py, whose ignores must all be needed.
