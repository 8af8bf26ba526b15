"""No import cycles inside ``mubert_async``, type-only and function-local imports included.

The graph is read from the source with ``ast`` (nothing is imported). Its rules:

* every ``import`` / ``from ... import`` anywhere in a module counts: at the top, under
  ``if TYPE_CHECKING:``, inside a function (a lazy import is a cycle postponed, not gone);
* ``from pkg import name`` depends on ``pkg.name`` when that is a module, else on ``pkg``
  (its ``__init__``, which depends on whatever it re-exports);
* importing ``pkg.sub`` runs ``pkg/__init__`` first, so it also depends on every enclosing
  package of ``pkg.sub`` -- except the packages that enclose the importer itself (they are
  already being imported) and the root ``mubert_async``, whose ``__init__`` re-exports the
  public names and is imported before anything else;
* a cycle is a strongly connected component of more than one module.

A new cycle fails the test. ``KNOWN_CYCLES`` lists the ones not removed yet; a listed cycle
that is gone (or has changed) fails it too, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import mubert_async

PACKAGE = pathlib.Path(mubert_async.__file__).parent
ROOT = PACKAGE.name

KNOWN_CYCLES: list[frozenset[str]] = []
# The last one, the engine and the tracks resource, went with the engine's API protocol
# (generation/_api.py: the engine types against ``TrackAPI``, never imports the resource).
"""Cycles still to remove; each entry is one strongly connected component. Only shrinks."""


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.AST, package: str, modules: dict[str, pathlib.Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            parts = package.split(".")
            base = ".".join([*parts[: len(parts) - node.level + 1], node.module or ""]).strip(".")
        else:
            base = node.module or ""
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            yield sub if sub in modules else base


def _enclosing(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    """Module to the ``mubert_async`` modules it imports, by the rules above."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _imported(node, package, modules):
                while target and target not in modules:  # an attribute, not a module
                    target = target.rpartition(".")[0]
                if not target or target == name:
                    continue
                graph[name].add(target)
                mine = {name, *_enclosing(name)}
                graph[name] |= {p for p in _enclosing(target) if p != ROOT and p not in mine}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "mubert_async.errors" in graph["mubert_async._base_client"]  # top level
    assert "mubert_async.transport._aiohttp" in graph["mubert_async._base_client"]  # local
    assert "mubert_async.transport._httpx" in graph["mubert_async.transport"]  # TYPE_CHECKING


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_new_import_cycles() -> None:
    found = set(cycles(import_graph()))
    new = [sorted(c) for c in found - set(KNOWN_CYCLES)]
    gone = [sorted(c) for c in set(KNOWN_CYCLES) - found]
    assert new == [], f"new import cycles: {new}"
    assert gone == [], f"cycles gone or changed, update KNOWN_CYCLES: {gone}"
