"""Fail when the modules of a package import each other in a cycle.

Usage: ``python tools/importcycles.py enrich webhooks`` (from the repository root); exit 1 and
the cycles, shortest path first, when there is one.

Every import counts, at module level or inside a function: an import moved into a function to
dodge a cycle still ties the two modules together, and a change to either may break the
other at run time instead of at import time. Imports under ``if TYPE_CHECKING:`` do not count
(they never run). A module's own package ``__init__`` is not an edge unless it is imported by
name: running a submodule runs its package first, but that order is Python's, not a design.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

Graph = dict[str, dict[str, int]]  # module -> imported module -> line of the first import


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the packages under ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            elif not _is_type_checking(child):
                stack.append(child)


def graph(root: Path, packages: Iterable[str]) -> Graph:
    """Who imports whom among the packages' modules (``from a import b`` names module a.b if
    there is one, else a)."""
    known = modules(root, packages)

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges: Graph = {}
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        out = edges.setdefault(module, {})
        for node in _imports(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                names = [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                target = resolve(name)
                if target is not None and target != module:
                    out[target] = min(out.get(target, node.lineno), node.lineno)
    return edges


def cycles(edges: Graph) -> list[list[str]]:
    """One shortest cycle through each group of modules that reach each other (Tarjan's
    strongly connected components, then a breadth-first search inside each)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:  # iterative: a deep package must not hit the recursion limit
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted((_shortest_cycle(edges, group) for group in groups), key=lambda c: (len(c), c))


def _shortest_cycle(edges: Graph, group: set[str]) -> list[str]:
    """The shortest path from a module of the group back to itself (breadth first)."""
    best: list[str] = []
    for start in sorted(group):
        paths = {start: [start]}
        frontier = [start]
        while frontier and not (best and len(paths[frontier[0]]) >= len(best)):
            following = []
            for node in frontier:
                for child in sorted(edges.get(node, ())):
                    if child == start and (not best or len(paths[node]) + 1 < len(best)):
                        best = [*paths[node], start]
                    elif child in group and child not in paths:
                        paths[child] = [*paths[node], child]
                        following.append(child)
            frontier = following
    return best


def report(edges: Graph, found: list[list[str]]) -> str:
    lines = []
    for cycle in found:
        lines.append("import cycle: " + " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:], strict=False):
            lines.append(f"    {a} imports {b} (line {edges[a][b]})")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    packages = argv or ["enrich", "webhooks"]
    root = Path.cwd()
    edges = graph(root, packages)
    found = cycles(edges)
    if found:
        print(report(edges, found))
        print(
            f"{len(found)} import cycle(s). Move what both sides need into a module that "
            "imports neither; an import inside a function does not break a cycle."
        )
        return 1
    print(f"no import cycles among {len(edges)} modules of {', '.join(packages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
