"""No module of enrich, webhooks or tools is over 500 lines (`make lint` runs the same check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.module_sizes import LIMIT, main, oversize

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path, lines: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(lines)), encoding="utf-8")


def test_enrich_webhooks_and_tools_have_no_module_over_the_limit() -> None:
    assert (ROOT / "enrich" / "app.py").exists()  # it reads the real tree
    assert oversize(ROOT, ["enrich", "webhooks", "tools"]) == []


def test_a_module_one_line_over_is_found_and_one_at_the_limit_is_not(tmp_path: Path) -> None:
    _module(tmp_path / "pkg" / "at_limit.py", LIMIT)
    _module(tmp_path / "pkg" / "deep" / "over.py", LIMIT + 1)
    _module(tmp_path / "pkg" / "notes.txt", LIMIT * 2)  # not Python: not counted
    assert oversize(tmp_path, ["pkg"]) == [(Path("pkg/deep/over.py"), LIMIT + 1)]


def test_the_command_fails_listing_every_oversize_module_longest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _module(tmp_path / "pkg" / "long.py", 600)
    _module(tmp_path / "pkg" / "longer.py", 700)
    _module(tmp_path / "other" / "short.py", 10)
    monkeypatch.chdir(tmp_path)
    assert main(["pkg", "other"]) == 1
    assert capsys.readouterr().out.splitlines()[:3] == [
        "pkg/longer.py: 700 lines",
        "pkg/long.py: 600 lines",
        "2 module(s) over 500 lines. Split each by what its parts do into modules that import "
        "downwards (tools/importcycles.py checks that).",
    ]


def test_the_command_passes_when_every_module_is_within_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _module(tmp_path / "pkg" / "ok.py", LIMIT)
    monkeypatch.chdir(tmp_path)
    assert main(["pkg"]) == 0
    assert "no module over 500 lines" in capsys.readouterr().out
