"""Every Python example in a docstring of the package runs, as written, against the simulator."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from docs_harness import ROOT, Group, groups, run

from mubert_async.testing import FakeMubert

MODULES = sorted((ROOT / "mubert_async").rglob("*.py"))
GROUPS = [group for module in MODULES for group in groups(module)]
_LITERAL = re.compile(r"::\n\n((?:(?: {4,}.*)?\n)+)")  # a reST literal block: "::" + indented


def docstrings(path: Path) -> list[str]:
    """The module's, classes' and functions' docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [tree, *ast.walk(tree)]
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return [doc for node in nodes if isinstance(node, kinds) and (doc := ast.get_docstring(node))]


def looks_like_python(block: str) -> bool:
    source = "\n".join(line[4:] for line in block.splitlines())
    try:
        compile(source, "<docstring>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError:
        return False
    return bool(re.search(r"\b(import|await|async)\b", source))


def test_the_package_has_docstring_examples() -> None:
    names = {Path(group.blocks[0].path).relative_to(ROOT).as_posix() for group in GROUPS}
    assert {"mubert_async/__init__.py", "mubert_async/testing/__init__.py"} <= names


def test_python_examples_are_code_blocks_that_run() -> None:
    """A Python example in a bare ``::`` block (or a doctest) would escape the tests below."""
    untested = [
        f"{path.relative_to(ROOT)}: {block.strip().splitlines()[0]}"
        for path in MODULES
        for doc in docstrings(path)
        for block in [*_LITERAL.findall(doc + "\n"), *re.findall(r"^\s*>>> .*", doc, re.M)]
        if block.lstrip().startswith(">>>") or looks_like_python(block)
    ]
    assert untested == [], "use '.. code-block:: python' (run by this module):\n" + "\n".join(
        untested
    )


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_docstring_example(group: Group, api_env: FakeMubert) -> None:
    run(group)
