"""Run the Python examples of the documentation: Sybil finds them, this runs them.

Sybil parses the fenced blocks of a Markdown file (and ``<!-- invisible-code-block:
python -->`` comments, which GitHub does not show) and the ``.. code-block:: python``
blocks of docstrings. Blocks separated only by blank lines run together, in one fresh
namespace and one event loop: an invisible block right before a visible one sets it up,
one right after checks what it did. A block whose first line is a file name comment
(``# test_music.py``) is a file of the reader's project, not a snippet: ``files()`` finds
those, and tests put them in place and run them as the reader would. Top-level ``await``/``async with``/``async for`` are
allowed (as in a notebook); a group without any runs outside an event loop, so that its
``asyncio.run(...)`` works as in a script.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

from sybil import Document
from sybil.parsers.markdown import CodeBlockParser as MarkdownCodeBlockParser
from sybil.parsers.rest import CodeBlockParser as RestCodeBlockParser

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Block:
    """One code block: where it is and its source."""

    path: str
    line: int
    source: str
    visible: bool
    start: int
    end: int

    @property
    def filename(self) -> str | None:
        """The file this block is, when its first line is ``# name.ext``."""
        match = re.fullmatch(r"# ([\w.-]+\.\w+)", self.source.split("\n", 1)[0].strip())
        return match[1] if match else None


@dataclass
class Group:
    """Blocks that run together; ``line`` is that of the first visible one."""

    blocks: list[Block]

    @property
    def line(self) -> int:
        return next(block.line for block in self.blocks if block.visible)

    def __str__(self) -> str:
        return f"{Path(self.blocks[0].path).name}:{self.line}"


def blocks(path: Path, language: str) -> list[Block]:
    """The ``language`` code blocks of ``path`` (Markdown, or a Python module's docstrings)."""
    if path.suffix == ".py":
        from sybil.document import PythonDocStringDocument

        document: Document = PythonDocStringDocument.parse(str(path), RestCodeBlockParser(language))
    else:
        document = Document.parse(str(path), MarkdownCodeBlockParser(language))
    found = []
    for example in document:
        region = example.region
        text = document.text[region.start : region.end]
        found.append(
            Block(
                str(path),
                example.line,
                str(example.parsed),
                visible=not text.lstrip().startswith("<!--"),
                start=region.start,
                end=region.end,
            )
        )
    return found


def groups(path: Path) -> list[Group]:
    """The Python blocks of ``path``, grouped: adjacent blocks run together."""
    text = path.read_text(encoding="utf-8")
    result: list[list[Block]] = []
    for block in blocks(path, "python"):
        between = text[result[-1][-1].end : block.start] if result else "x"
        if not between.replace("-->", "").strip():  # an invisible block's region ends before -->
            result[-1].append(block)
        else:
            result.append([block])
    for found in result:
        assert any(block.visible for block in found), f"{path}:{found[0].line}: only invisible"
    return [Group(found) for found in result]


def _compile(block: Block) -> CodeType:
    source = "\n" * block.line + block.source  # tracebacks name the document's own lines
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code: CodeType = compile(source, block.path, "exec", flags=flags, dont_inherit=True)
    return code


def run(group: Group, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the blocks of ``group`` in order in one namespace; returns the namespace."""
    namespace = {"__name__": "__readme__"} if namespace is None else namespace
    codes = [_compile(block) for block in group.blocks]
    if not any(code.co_flags & inspect.CO_COROUTINE for code in codes):
        for code in codes:
            exec(code, namespace)
        return namespace

    async def run_all() -> None:
        for code in codes:
            result = eval(code, namespace)
            if inspect.iscoroutine(result):
                await result

    asyncio.run(run_all())
    return namespace


def files(path: Path, language: str) -> dict[str, str]:
    """The ``language`` blocks of ``path`` that are files, by file name."""
    return {
        block.filename: block.source
        for block in blocks(path, language)
        if block.filename is not None
    }


def run_as_a_reader(args: list[str], cwd: Path, **env: str) -> str:
    """Run ``args`` in ``cwd`` without Mubert credentials or pytest settings; its stdout."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MUBERT_", "PYTEST_"))}
    completed = subprocess.run(
        args,
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout
