"""`enrich match` end to end through click's CliRunner: outputs and every bad input."""

from __future__ import annotations

import csv
import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.matching.cli import match
from enrich.matching.rules import default_rules, dump_rules

PROFILES = (
    "key,platform,user_id,handle,display_name,bio,location,url,email\n"
    "p1,x,1,bob_s,Bob Smith 🚀,VP Eng @ Acme,NYC,https://x.com/bob_s,\n"
    "p2,x,2,rsmith,Robert Smith,,,https://x.com/rsmith,\n"
    "p3,x,3,zq,Zed Quux,at Nowhere,Mars,,\n"
)
CONTACTS = (
    "id,first_name,last_name,email,company,title,city,country,linkedin_url,twitter_handle\n"
    "c1,Robert,Smith,rsmith@acme.com,Acme Inc.,VP,New York,USA,,\n"
    "c2,Robert,Smith,robert@globex.com,Globex,CEO,Chicago,USA,,\n"
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    (tmp_path / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    return {
        "left": tmp_path / "profiles.csv",
        "right": tmp_path / "contacts.csv",
        "out": tmp_path / "links.csv",
        "dir": tmp_path,
    }


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(match, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _base(f: dict[str, Path]) -> list[str | Path]:
    return ["--left", f["left"], "--right", f["right"], "--out", f["out"]]


def test_links_and_review_pairs_are_written(files: dict[str, Path]) -> None:
    code, _ = _run(*_base(files))
    assert code == 0
    rows = list(csv.DictReader(files["out"].open(encoding="utf-8")))
    assert list(rows[0]) == ["left_id", "right_id", "score", "decision", "explanation"]
    got = {(r["left_id"], r["right_id"], r["decision"]) for r in rows}
    assert ("p1", "c1", "link") in got
    assert {("p2", "c1", "review"), ("p2", "c2", "review")} <= got
    assert not any(r["left_id"] == "p3" for r in rows)
    assert "nickname" in next(r["explanation"] for r in rows if r["left_id"] == "p1")


def test_any_two_csvs_of_people_link_with_a_column_mapping(files: dict[str, Path]) -> None:
    attendees = files["dir"] / "attendees.csv"
    attendees.write_text("badge,First,Last,Employer\nb1,Bob,Smith,Acme\n", encoding="utf-8")
    data = default_rules().to_dict()
    data["left"] = {
        "id": "badge",
        "columns": {"display_name": ["First", "Last"], "bio": "Employer"},
    }
    rules = files["dir"] / "rules.yaml"
    import yaml

    rules.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _ = _run(
        "--left", attendees, "--right", files["right"], "--rules", rules, "--out", files["out"]
    )
    assert code == 0
    rows = list(csv.DictReader(files["out"].open(encoding="utf-8")))
    assert [(r["left_id"], r["right_id"], r["decision"]) for r in rows] == [("b1", "c1", "link")]


def test_unknown_column_is_named(files: dict[str, Path]) -> None:
    files["left"].write_text("key,handle,name\np1,x,y\n", encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1
    assert "column 'platform'" in out and "the file has columns: key, handle, name" in out


def test_malformed_yaml_names_the_line(files: dict[str, Path]) -> None:
    bad = files["dir"] / "rules.yaml"
    bad.write_text("version: x\nthresholds: [1,\n", encoding="utf-8")
    code, out = _run(*_base(files), "--rules", bad)
    assert code == 1 and f"{bad}:3:1: malformed YAML" in out and "Traceback" not in out


def test_unknown_comparator_is_named(files: dict[str, Path]) -> None:
    bad = files["dir"] / "rules.yaml"
    bad.write_text(
        dump_rules(default_rules()).replace("comparator: location", "comparator: geo"),
        encoding="utf-8",
    )
    code, out = _run(*_base(files), "--rules", bad)
    assert code == 1 and "unknown comparator 'geo'" in out


def test_empty_file_is_refused(files: dict[str, Path]) -> None:
    files["right"].write_text("", encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: the file is empty" in out


def test_wrong_encoding_is_refused_naming_the_line_and_byte(files: dict[str, Path]) -> None:
    latin1 = PROFILES.replace(" 🚀", "").replace("Bob", "B\u00f6b").encode("latin-1")
    files["left"].write_bytes(latin1)
    code, out = _run(*_base(files))
    assert code == 1
    assert "profiles.csv: line 2: not UTF-8 text (invalid byte 0xf6)" in out


def test_encoding_error_lines_count_a_byte_order_mark_and_crlf(files: dict[str, Path]) -> None:
    text = "\ufeff" + CONTACTS.replace("\n", "\r\n") + "\r\nc3,J\u00e9r\u00f4me,Roy,,,,,,,\r\n"
    files["right"].write_bytes(text.encode("utf-8").replace("J\u00e9".encode(), b"J\xe9"))
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: line 5: not UTF-8 text (invalid byte 0xe9)" in out


def test_a_nul_byte_is_refused_naming_its_line(files: dict[str, Path]) -> None:
    files["right"].write_text(CONTACTS + "c3,Ann,Sm\0ith,,,,,,,\n", encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: line 4: a NUL byte (0x00)" in out
    assert not files["out"].exists()


@pytest.mark.parametrize(("row", "fields"), [("c3,Ann,Lee,,,,,,", 9), ("c3,Ann,Lee,,,,,,,,", 11)])
def test_a_row_wider_or_narrower_than_the_header_is_refused(
    files: dict[str, Path], row: str, fields: int
) -> None:
    files["right"].write_text(CONTACTS + row + "\n", encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1 and f"contacts.csv: line 4 has {fields} fields, the header has 10" in out


def test_line_numbers_are_physical_lines_of_the_file(files: dict[str, Path]) -> None:
    # A quoted field may hold line breaks: the faulty row below is the file's sixth line.
    files["right"].write_text(
        CONTACTS + 'c3,Ann,Lee,,,"VP,\nSales",,,,\nc4,Bo,Li\n', encoding="utf-8"
    )
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: line 6 has 3 fields, the header has 10" in out


def test_blank_lines_are_skipped(files: dict[str, Path]) -> None:
    head, first, second = CONTACTS.splitlines(keepends=True)
    files["right"].write_text(
        head + "\n" + first + "   \n,,,,,,,,,\n" + second + "\n", encoding="utf-8"
    )
    code, out = _run(*_base(files))
    assert code == 0 and "3 profiles vs 2 people" in out


def test_an_unclosed_quote_is_refused_at_the_line_it_opens(files: dict[str, Path]) -> None:
    head, first, second = CONTACTS.splitlines(keepends=True)
    files["right"].write_text(
        head + first.replace("Robert,", '"Robert,') + second, encoding="utf-8"
    )
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: line 2: a quote opened in this row is never closed" in out


def test_a_quote_closed_rows_later_is_refused_naming_both_lines(files: dict[str, Path]) -> None:
    head, first, second = CONTACTS.splitlines(keepends=True)
    files["right"].write_text(
        head + first.replace("Robert,", '"Robert,') + second.replace("Globex", '"Globex"'),
        encoding="utf-8",
    )
    code, out = _run(*_base(files))
    assert code == 1
    assert "contacts.csv: line 3 (in the row from line 2: a quote left open?): malformed CSV" in out


def test_a_column_named_twice_in_the_header_is_refused(files: dict[str, Path]) -> None:
    files["right"].write_text(
        CONTACTS.replace("id,first_name", "id,id,first_name", 1), encoding="utf-8"
    )
    code, out = _run(*_base(files))
    assert code == 1 and "contacts.csv: line 1: the header names column 'id' twice" in out


@pytest.mark.parametrize("which", ["left", "right"])
def test_a_header_without_rows_is_refused(files: dict[str, Path], which: str) -> None:
    text = (PROFILES if which == "left" else CONTACTS).splitlines()[0] + "\n\n"
    files[which].write_text(text, encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1 and f"{files[which].name}: no rows after the header" in out


def test_help_lists_the_default_input_columns() -> None:
    code, out = _run("--help")
    assert code == 0
    text = " ".join(out.split())
    assert "LEFT key, platform, user_id, handle, display_name, bio, location, url, email" in text
    assert (
        "RIGHT id, first_name, last_name, email, company, title, city, country, "
        "linkedin_url, twitter_handle"
    ) in text


@pytest.mark.parametrize("which", ["left", "right", "rules"])
def test_missing_file_is_named(files: dict[str, Path], which: str) -> None:
    missing = files["dir"] / "nope.csv"
    args = _base(files)
    if which == "rules":
        args += ["--rules", missing]
    else:
        args[args.index(files[which])] = missing
    code, out = _run(*args)
    assert code == 1 and "nope.csv" in out and "not found" in out


def test_duplicate_ids_are_refused(files: dict[str, Path]) -> None:
    files["right"].write_text(CONTACTS + "c1,Ann,Lee,,,,,,,\n", encoding="utf-8")
    code, out = _run(*_base(files))
    assert code == 1 and "line 4: duplicate id 'c1'" in out


def test_no_progress_bar_when_stderr_is_not_a_terminal(files: dict[str, Path]) -> None:
    code, out = _run(*_base(files))
    assert code == 0 and "matching:" not in out and "3 profiles vs 2 people" in out


def _match_in_a_process(f: dict[str, Path], out: Path, stderr: int) -> bytes:
    """`enrich match` as a user runs it; returns its stdout."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "enrich",
            "match",
            "--left",
            str(f["left"]),
            "--right",
            str(f["right"]),
            "--out",
            str(out),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=f["dir"],
        timeout=60,
        check=True,
    )
    return done.stdout


def test_a_progress_bar_is_shown_when_stderr_is_a_terminal(files: dict[str, Path]) -> None:
    piped_out = files["dir"] / "piped.csv"
    piped_stdout = _match_in_a_process(files, piped_out, subprocess.DEVNULL)
    master, slave = os.openpty()
    try:
        # A terminal of no size (as a bare pty reports) could leave tqdm without a bar width.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        try:
            stdout = _match_in_a_process(files, files["out"], slave)
        finally:
            os.close(slave)
        # The child has exited and its few lines fit the pty's buffer: read them until the
        # closed terminal reports EIO (Linux) or end of file.
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    terminal = shown.decode("utf-8", "replace")
    assert "matching:" in terminal and "100%|" in terminal and "3/3" in terminal, terminal
    assert "3 profiles vs 2 people" in terminal
    # The bar is for the eye only: what the run writes is the same as without a terminal.
    assert stdout == piped_stdout
    assert files["out"].read_bytes() == piped_out.read_bytes()
    assert b"matching" not in files["out"].read_bytes()


@pytest.mark.parametrize("seed", range(3))
def test_rows_are_written_as_the_csv_module_writes_them(seed: int) -> None:
    import io
    import random

    from enrich.matching.cli import _csv_row

    rng = random.Random(seed)
    for _ in range(300):
        row = [
            "".join(rng.choice("ab ,\"'\r\n;é") for _ in range(rng.randrange(6))) for _ in range(5)
        ]
        text = io.StringIO()
        csv.writer(text).writerow(row)
        assert _csv_row(row) == text.getvalue()
