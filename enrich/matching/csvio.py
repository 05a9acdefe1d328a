"""Reading any CSV of people into ``Profile`` / ``Person`` through a rule's column mapping.

The mapping (``RuleSet.left`` / ``RuleSet.right``) names the id column and, for each
field, one column or several columns joined by a space (``display_name: [first, last]``
lets a plain list of attendees be matched like social profiles). Every problem a user
can cause is an ``InputError`` naming the file, and the line or column at fault.

Files are read strictly, so that no record is padded, cut, merged or guessed at: a NUL
byte, bytes that are not UTF-8, a row wider or narrower than the header, a quote left
open, a column named twice and a header without rows are all refused. Blank lines are
skipped. Line numbers are the file's physical lines (a quoted field may span several).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from enrich.errors import InputError
from enrich.matching.profile import EXTRA_PREFIX, PERSON_FIELDS, PROFILE_FIELDS, Person, Profile
from enrich.matching.rules import Source

__all__ = ["DECISION_COLUMNS", "LINK_COLUMNS", "read_decisions", "read_people", "read_profiles"]

LINK_COLUMNS = ("left_id", "right_id", "score", "decision", "explanation")
DECISION_COLUMNS = ("left_id", "right_id", "decision")
_DECIDED = {"confirmed": True, "confirm": True, "rejected": False, "reject": False}

T = TypeVar("T", Profile, Person)


def _rows(
    path: Path, source: Source, known: frozenset[str]
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Yield (line number, id, field values) for each data row."""
    raw = _bytes(path)
    # The csv module reads a NUL as any other character: a binary or corrupt file would
    # be matched on garbage. One scan of the bytes costs far less than a check per field.
    if (nul := raw.find(b"\0")) >= 0:
        raise InputError(
            f"{path}: line {_line_at(raw, nul)}: a NUL byte (0x00); the file is binary, "
            "UTF-16 or corrupt: re-export it as UTF-8 CSV text"
        )
    # utf-8-sig: spreadsheets often prepend a byte-order mark to the header.
    fh = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
    # strict: a quote left open is an error at the end of the file, not a field that
    # silently swallows every row after it.
    reader = csv.reader(fh, strict=True)
    last = 0  # the last line of the row before: the current row starts on the next one
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path}: the file is empty; expected a header row") from None
        header = [h.strip() for h in header]
        if not any(header):
            raise InputError(f"{path}: the header row is blank")
        pos: dict[str, int] = {}
        for i, h in enumerate(header):
            if h in pos:  # which of the two would the mapping mean?
                raise InputError(
                    f"{path}: line 1: the header names column {h!r} twice (fields "
                    f"{pos[h] + 1} and {i + 1}); rename or remove one"
                )
            if h:
                pos[h] = i
        columns = source.columns or tuple((f, (f,)) for f in sorted(known) if f in pos)
        want = [(source.id, "the id")] + [(c, f"field {f}") for f, cols in columns for c in cols]
        for col, role in want:
            if col not in pos:
                raise InputError(
                    f"{path}: column {col!r} ({role}, from the {source.side} mapping) not found; "
                    f"the file has columns: {', '.join(header)}"
                )
        plan = [(f, [pos[c] for c in cols]) for f, cols in columns]
        # (field, its column, or None and its columns when several are joined)
        cells = [(f, idx[0], ()) if len(idx) == 1 else (f, -1, tuple(idx)) for f, idx in plan]
        id_at = pos[source.id]
        width = len(header)
        last = reader.line_num
        seen: set[str] = set()
        for row in reader:
            line, last = last + 1, reader.line_num
            # A row of another width is a cell lost or a comma unquoted: every cell after
            # it would land in the wrong field. Blank lines (common at the end of exported
            # files) hold nothing to lose and are skipped.
            if len(row) != width:
                if not any(map(str.strip, row)):
                    continue
                fix = (
                    "quote a field that holds a comma"
                    if len(row) > width
                    else "give every column a cell, empty or not"
                )
                raise InputError(
                    f"{path}: line {line} has {len(row)} fields, the header has {width}; {fix}"
                )
            rid = row[id_at].strip()
            if not rid:
                if not any(map(str.strip, row)):
                    continue  # a blank line as wide as the header: the same
                raise InputError(f"{path}: line {line}: the id column {source.id!r} is empty")
            if rid in seen:
                raise InputError(f"{path}: line {line}: duplicate id {rid!r}")
            seen.add(rid)
            values = {
                f: row[i].strip()
                if not idx
                else " ".join([v for k in idx if (v := row[k].strip())])
                for f, i, idx in cells
            }
            yield line, rid, values
        if not seen:  # a partial export, or the wrong file: matching it would say nothing
            raise InputError(f"{path}: no rows after the header; nothing to match")
    except UnicodeDecodeError:
        raise InputError(_not_utf8(path, raw)) from None
    except csv.Error as e:
        raise InputError(_malformed(path, str(e), last + 1, reader.line_num)) from None


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a CSV file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror}") from None


def _line_at(raw: bytes, offset: int) -> int:
    """The physical line (1-based) of a byte offset, counting line breaks as the csv
    module does: \\n, \\r\\n or a lone \\r."""
    head = raw[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _not_utf8(path: Path, raw: bytes) -> str:
    # The decoder's own offset is within a read block: decode the whole file again to
    # place the byte (only on this error path).
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return (
            f"{path}: line {_line_at(raw, e.start)}: not UTF-8 text (invalid byte "
            f"0x{raw[e.start]:02x}); re-export the file as UTF-8"
        )
    return f"{path}: not UTF-8 text; re-export the file as UTF-8"  # only the BOM differs


def _malformed(path: Path, error: str, start: int, end: int) -> str:
    """The csv module's complaint, placed at the row where it begins."""
    if error == "unexpected end of data":  # strict mode: the file ends inside quotes
        return (
            f"{path}: line {start}: a quote opened in this row is never closed (the file "
            f"ends inside it, at line {end}); close it, and double any quote inside a field"
        )
    where = f"line {end}"
    if end > start:  # the row runs over several lines: most likely a quote left open
        where += f" (in the row from line {start}: a quote left open?)"
    return f"{path}: {where}: malformed CSV: {error}; quote a whole field, doubling quotes in it"


def _read(
    path: str | Path, source: Source, known: frozenset[str], make: Callable[..., T], id_name: str
) -> list[T]:
    out = []
    names: list[tuple[str, str]] | None = None
    for _, rid, values in _rows(Path(path), source, known):
        if names is None:  # every row has the same fields: split them once
            names = [(f, f[len(EXTRA_PREFIX) :]) for f in values if f.startswith(EXTRA_PREFIX)]
        extra = tuple([(name, values.pop(f)) for f, name in names])
        values[id_name] = rid
        out.append(make(**values, extra=extra))
    return out


def read_profiles(path: str | Path, source: Source) -> list[Profile]:
    """Profiles (left side) from a CSV."""
    return _read(path, source, PROFILE_FIELDS, Profile, "key")


def read_people(path: str | Path, source: Source) -> list[Person]:
    """CRM people (right side) from a CSV."""
    return _read(path, source, PERSON_FIELDS, Person, "id")


def read_decisions(path: str | Path) -> dict[tuple[str, str], bool]:
    """Review decisions (``left_id,right_id,decision``: confirmed or rejected) as labels
    for ``enrich match train``: (left id, right id) -> confirmed."""
    path = Path(path)
    raw = _bytes(path)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), strict=True))
    except UnicodeDecodeError:
        raise InputError(_not_utf8(path, raw)) from None
    except csv.Error as e:
        raise InputError(f"{path}: malformed CSV: {e}") from None
    if not rows or [h.strip() for h in rows[0]] != list(DECISION_COLUMNS):
        raise InputError(f"{path}: expected the header {','.join(DECISION_COLUMNS)}")
    out: dict[tuple[str, str], bool] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(map(str.strip, row)):
            continue
        if len(row) != 3 or not row[0].strip() or not row[1].strip():
            raise InputError(f"{path}: line {line}: expected left_id,right_id,decision")
        said = _DECIDED.get(row[2].strip().lower())
        if said is None:
            raise InputError(
                f"{path}: line {line}: decision {row[2]!r} is neither 'confirmed' nor 'rejected'"
            )
        out[(row[0].strip(), row[1].strip())] = said
    return out
