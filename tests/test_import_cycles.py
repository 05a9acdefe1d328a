"""No two modules of enrich or webhooks import each other, directly or around a ring, whether
the import is at module level or hidden inside a function (`make lint` runs the same check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.importcycles import cycles, graph, main, report

ROOT = Path(__file__).resolve().parent.parent


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_enrich_and_webhooks_have_no_import_cycle() -> None:
    edges = graph(ROOT, ["enrich", "webhooks"])
    assert "enrich.pipeline" in edges and "webhooks.gate" in edges  # it read the real tree
    assert cycles(edges) == [], report(edges, cycles(edges))


def test_a_cycle_hidden_in_a_function_is_found_with_its_lines(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import helper\n",
            "pkg/b.py": "def helper():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "import pkg.a\n",  # imports into the ring, is not part of it
        },
    )
    edges = graph(root, ["pkg"])
    assert cycles(edges) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert report(edges, cycles(edges)).splitlines()[1:] == [
        "    pkg.a imports pkg.b (line 1)",
        "    pkg.b imports pkg.a (line 2)",
    ]


def test_a_ring_through_relative_imports_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "from .one import x\n",
            "pkg/sub/one.py": "from ..two import y\nx = 1\n",
            "pkg/two.py": "from pkg.sub import three\ny = 2\n",
            "pkg/sub/three.py": "from . import one\n",
        },
    )
    assert cycles(graph(root, ["pkg"])) == [
        ["pkg.sub.one", "pkg.two", "pkg.sub.three", "pkg.sub.one"]
    ]


def test_imports_for_type_checking_only_and_a_package_of_its_own_submodules_are_no_cycle(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",  # a package re-exporting its modules
            "pkg/a.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"
                "class A: ...\n"
            ),
            "pkg/b.py": "from pkg.a import A\nclass B(A): ...\n",
        },
    )
    assert cycles(graph(root, ["pkg"])) == []


def test_the_command_fails_on_a_cycle_and_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _package(
        tmp_path,
        {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\n", "pkg/b.py": "import pkg.a\n"},
    )
    monkeypatch.chdir(tmp_path)
    assert main(["pkg"]) == 1
    out = capsys.readouterr().out
    assert "import cycle: pkg.a -> pkg.b -> pkg.a" in out
    assert "an import inside a function does not break a cycle" in out
