"""Fail when a module is over 500 lines.

Usage: ``python tools/module_sizes.py enrich webhooks tools`` (from the repository root); exit 1
and the offending files, longest first, when there is one.

A module that long does several things; split it by what its parts do (as the sandbox's bases
and schemas were), not at an arbitrary line. Lines are counted as ``wc -l`` counts them, after
``ruff format``, so the check and the formatter agree on what a line is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

LIMIT = 500


def oversize(root: Path, folders: Iterable[str], limit: int = LIMIT) -> list[tuple[Path, int]]:
    """(path relative to root, line count) of every ``.py`` file over the limit, longest first."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            lines = path.read_bytes().count(b"\n")
            if lines > limit:
                found.append((path.relative_to(root), lines))
    return sorted(found, key=lambda item: (-item[1], str(item[0])))


def main(argv: list[str]) -> int:
    folders = argv or ["enrich", "webhooks", "tools"]
    found = oversize(Path.cwd(), folders)
    for path, lines in found:
        print(f"{path}: {lines} lines")
    if found:
        print(
            f"{len(found)} module(s) over {LIMIT} lines. Split each by what its parts do into "
            "modules that import downwards (tools/importcycles.py checks that)."
        )
        return 1
    print(f"no module over {LIMIT} lines in {', '.join(folders)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
