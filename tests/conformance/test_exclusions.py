"""The conformance checks' own parts: the exclusions file, the corrected document, Prism's verdicts."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "conformance"))

import prism_check  # noqa: E402
from _support import DOCUMENT, corrected_document, load_exclusions  # noqa: E402

from mubert_async.transport import Request, Response  # noqa: E402

SESSION = "/api/v3/public/tracks/session/{session_id}"


def parameter(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    found: dict[str, Any] = document["components"]["parameters"][name]
    return found


def test_every_entry_says_why_and_who_disagrees() -> None:
    entries = load_exclusions()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        assert entry.reason.strip() and entry.source.strip() and entry.tools
        assert entry.patch or entry.checks, entry.id  # an entry that does nothing is noise


def test_an_entry_without_a_source_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "exclusions.toml"
    bad.write_text('[[exclusion]]\nid = "x"\nreason = "r"\ntools = ["prism"]\n')
    with pytest.raises(ValueError, match="source"):
        load_exclusions(bad)


def test_the_patches_apply_and_fix_the_session_parameter() -> None:
    original = json.loads(DOCUMENT.read_text())
    session = original["paths"][SESSION]["get"]["parameters"]
    assert [parameter(original, p)["name"] for p in session if "$ref" in p][-1] == "track"
    for tool in ("schemathesis", "prism"):
        document = corrected_document(tool, load_exclusions())  # type: ignore[arg-type]
        names = [
            parameter(document, p)["name"] for p in document["paths"][SESSION]["get"]["parameters"]
        ]
        assert names[-1] == "session_id"
    # The official copy itself is never changed.
    assert json.loads(DOCUMENT.read_text()) == original


def test_the_readme_lists_every_entry_once() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Conformance", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `([a-z0-9-]+)`", section, flags=re.MULTILINE)
    assert sorted(listed) == sorted(e.id for e in load_exclusions())


def response(headers: dict[str, str], body: dict[str, Any] | None = None) -> Response:
    content = json.dumps(body).encode() if body is not None else b""
    return Response(status=422, headers=headers, content=content)


def test_prism_request_violations_count_and_its_own_mock_errors_do_not() -> None:
    request_side = {"location": ["request", "body"], "code": "required", "message": "duration"}
    response_side = {"location": ["response", "body"], "code": "format", "message": "url"}
    header = json.dumps([request_side, response_side])
    assert prism_check._violations(response({"sl-violations": header})) == ["required: duration"]
    problem = "application/problem+json"
    only_mock = {"type": "VIOLATIONS", "detail": "d", "validation": [response_side]}
    assert prism_check._violations(response({"content-type": problem}, only_mock)) == []
    unsupported = {"type": "INVALID_CONTENT_TYPE", "detail": "Supported: application/json"}
    assert prism_check._violations(response({"content-type": problem}, unsupported)) == [
        "INVALID_CONTENT_TYPE: Supported: application/json"
    ]
    assert prism_check._violations(response({"content-type": "application/json"}, {})) == []


def test_every_non_billing_operation_is_driven() -> None:
    document = corrected_document("prism", load_exclusions())
    operations = prism_check._operations(document)
    assert len(operations) == 24
    # Concrete paths match before templated ones (/tracks/record is not the track "record").
    assert prism_check._label(operations, _request("POST", "/api/v3/public/tracks/record")) == (
        "POST /api/v3/public/tracks/record"
    )


def _request(method: str, path: str) -> Request:
    return Request(method, f"http://127.0.0.1:1{path}")
