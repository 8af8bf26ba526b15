"""The architecture page's module table says what each module's docstring says, for every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mubert_async

PACKAGE = Path(mubert_async.__file__).parent
PAGE = PACKAGE.parent / "docs" / "architecture.md"
ROW = re.compile(r"^\| `(?P<module>[\w.]+)` \| (?P<owns>.*) \|$")


def first_lines() -> dict[str, str]:
    """Each module of the package to the first line of its docstring."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        found[".".join(parts)] = docstring.split("\n\n")[0].replace("\n", " ").strip()
    return found


def table(lines: dict[str, str]) -> str:
    """The markdown table for ``lines`` (what the page holds)."""
    rows = [f"| `{module}` | {owns.replace('|', '&#124;')} |" for module, owns in lines.items()]
    return "\n".join(["| module | owns |", "| --- | --- |", *rows])


def test_every_module_has_a_one_line_docstring() -> None:
    for path in PACKAGE.rglob("*.py"):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring, path
        assert "\n" not in docstring.split("\n\n")[0], f"{path}: first line wraps"


def test_the_table_matches_the_docstrings() -> None:
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["module"]] = match["owns"].replace("&#124;", "|")
    assert rows == first_lines(), f"regenerate the table:\n{table(first_lines())}"
