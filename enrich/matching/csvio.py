"""Reading any CSV of people into ``Profile`` / ``Person`` through a rule's column mapping.

The mapping (``RuleSet.left`` / ``RuleSet.right``) names the id column and, for each
field, one column or several columns joined by a space (``display_name: [first, last]``
lets a plain list of attendees be matched like social profiles). Every problem a user
can cause is an ``InputError`` naming the file, and the line or column at fault.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from enrich.errors import InputError
from enrich.matching.profile import EXTRA_PREFIX, PERSON_FIELDS, PROFILE_FIELDS, Person, Profile
from enrich.matching.rules import Source

__all__ = ["LINK_COLUMNS", "read_people", "read_profiles"]

LINK_COLUMNS = ("left_id", "right_id", "score", "decision", "explanation")

T = TypeVar("T", Profile, Person)


def _rows(path: Path, source: Source, known: frozenset[str]) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Yield (line number, id, field values) for each data row."""
    try:
        # utf-8-sig: spreadsheets often prepend a byte-order mark to the header.
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a CSV file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(f"{path}: the file is empty; expected a header row") from None
            header = [h.strip() for h in header]
            if not any(header):
                raise InputError(f"{path}: the header row is blank")
            pos = {h: i for i, h in enumerate(header) if h}
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
            width = max(pos.values()) + 1  # short rows are padded: a missing cell is empty
            seen: set[str] = set()
            for row in reader:
                line = reader.line_num
                # Blank lines are skipped (common at the end of exported files); only a short
                # row or one without an id can be blank, so only those are looked at.
                if len(row) < width:
                    if not any(map(str.strip, row)):
                        continue
                    row += [""] * (width - len(row))
                rid = row[id_at].strip()
                if not rid:
                    if not any(map(str.strip, row)):
                        continue  # a blank line as wide as the header: the same
                    raise InputError(f"{path}: line {line}: the id column {source.id!r} is empty")
                if rid in seen:
                    raise InputError(f"{path}: line {line}: duplicate id {rid!r}")
                seen.add(rid)
                values = {f: row[i].strip() if not idx
                          else " ".join([v for k in idx if (v := row[k].strip())])
                          for f, i, idx in cells}
                yield line, rid, values
        except UnicodeDecodeError as e:
            raise InputError(
                f"{path}: not UTF-8 text (invalid byte 0x{e.object[e.start]:02x} at offset "
                f"{e.start} of a read block); re-export the file as UTF-8"
            ) from None
        except csv.Error as e:
            raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e}") from None


def _read(path: str | Path, source: Source, known: frozenset[str], make: Callable[..., T], id_name: str) -> list[T]:
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
