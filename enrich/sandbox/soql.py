"""A SOQL subset: the queries a sync worker sends, parsed and evaluated in memory.

Supported: ``SELECT f1, Parent.f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]`` where cond combines ``= != <> < <= > >=
LIKE IN / NOT IN`` with AND / OR / NOT and parentheses, over string, number, boolean,
null, date (2026-01-01) and datetime (2026-01-01T00:00:00Z) literals. As in Salesforce,
text comparisons are case-insensitive and datetime literals are not quoted. Anything else
raises `SoqlError`, which the API answers with 400 MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from enrich.sandbox.state import parse_datetime


class SoqlError(ValueError):
    """A query the sandbox (or Salesforce) cannot parse; `code` is the errorCode to answer."""

    def __init__(self, message: str, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.code = code


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<op><>|!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_.:]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "NULL",
    "TRUE",
    "FALSE",
    "COUNT",
    "INCLUDES",
    "EXCLUDES",
    "GROUP",
    "HAVING",
    "WITH",
    "FOR",
    "USING",
}
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "'": "'",
    '"': '"',
    "\\": "\\",
    "%": "\\%",
    "_": "\\_",
}


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | boolean | null | date | datetime
    value: Any


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = != < <= > >= LIKE IN NOT IN
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR | NOT
    parts: tuple[Any, ...]


@dataclass
class Query:
    sobject: str
    fields: list[str] = field(default_factory=list)
    count: bool = False
    where: Condition | BoolOp | None = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, desc, nulls_last
    limit: int | None = None
    offset: int = 0

    def referenced_fields(self) -> list[str]:
        names = list(self.fields) + [f for f, _, _ in self.order]

        def walk(node: Any) -> None:
            if isinstance(node, Condition):
                names.append(node.field)
            elif isinstance(node, BoolOp):
                for part in node.parts:
                    walk(part)

        walk(self.where)
        return names


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"unexpected character near: {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        tokens.append((kind, value))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def accept_kw(self, *words: str) -> bool:
        if self.peek()[0] == "kw" and self.peek()[1] in words:
            self.pos += 1
            return True
        return False

    def expect_kw(self, word: str) -> None:
        if not self.accept_kw(word):
            raise SoqlError(f"expecting {word}, found {self.peek()[1] or 'end of query'!r}")

    def expect(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.take()
        if got_kind != kind or (value is not None and got != value):
            raise SoqlError(f"unexpected token {got or 'end of query'!r}")
        return got

    def name(self) -> str:
        kind, value = self.take()
        if kind != "name":
            raise SoqlError(f"expecting a field name, found {value or 'end of query'!r}")
        return value

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        fields: list[str] = []
        count = False
        if self.peek() == ("kw", "COUNT") and self.peek(1) == ("punct", "("):
            self.pos += 2
            self.expect("punct", ")")
            count = True
        else:
            fields.append(self.name())
            while self.peek() == ("punct", ","):
                self.pos += 1
                fields.append(self.name())
        self.expect_kw("FROM")
        query = Query(sobject=self.name(), fields=fields, count=count)
        if self.accept_kw("WHERE"):
            query.where = self.or_expr()
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            while True:
                name = self.name()
                desc = self.accept_kw("DESC")
                if not desc:
                    self.accept_kw("ASC")
                nulls_last = desc
                if self.accept_kw("NULLS"):
                    nulls_last = self.accept_kw("LAST")
                    if not nulls_last:
                        self.expect_kw("FIRST")
                query.order.append((name, desc, nulls_last))
                if self.peek() != ("punct", ","):
                    break
                self.pos += 1
        if self.accept_kw("LIMIT"):
            query.limit = self.integer()
        if self.accept_kw("OFFSET"):
            query.offset = self.integer()
            if query.offset > 2000:
                raise SoqlError("maximum SOQL offset allowed is 2000", "NUMBER_OUTSIDE_VALID_RANGE")
        if self.peek()[0] != "end":
            raise SoqlError(f"unexpected token: {self.peek()[1]!r}")
        return query

    def integer(self) -> int:
        kind, value = self.take()
        if kind != "number" or not value.isdigit():
            raise SoqlError(f"expecting a non-negative integer, found {value!r}")
        return int(value)

    def or_expr(self) -> Condition | BoolOp:
        parts = [self.and_expr()]
        while self.accept_kw("OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def and_expr(self) -> Condition | BoolOp:
        parts = [self.unary()]
        while self.accept_kw("AND"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def unary(self) -> Condition | BoolOp:
        if self.accept_kw("NOT"):
            return BoolOp("NOT", (self.unary(),))
        if self.peek() == ("punct", "("):
            self.pos += 1
            inner = self.or_expr()
            self.expect("punct", ")")
            return inner
        return self.condition()

    def condition(self) -> Condition:
        name = self.name()
        kind, op = self.take()
        if kind == "op":
            return Condition(name, "!=" if op == "<>" else op, self.literal())
        if (kind, op) == ("kw", "LIKE"):
            value = self.literal()
            if value.kind != "string":
                raise SoqlError("LIKE needs a quoted string pattern")
            return Condition(name, "LIKE", value)
        negate = (kind, op) == ("kw", "NOT")
        if negate:
            kind, op = self.take()
        if (kind, op) == ("kw", "IN"):
            self.expect("punct", "(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                values.append(self.literal())
            self.expect("punct", ")")
            return Condition(name, "NOT IN" if negate else "IN", tuple(values))
        raise SoqlError(f"unexpected token after {name}: {op!r}")

    def literal(self) -> Literal:
        kind, value = self.take()
        if kind == "string":
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
            return Literal("string", body)
        if kind == "number":
            return Literal("number", float(value))
        if kind == "datetime":
            return Literal("datetime", parse_datetime(value))
        if kind == "date":
            return Literal("date", date.fromisoformat(value))
        if kind == "kw" and value in ("TRUE", "FALSE"):
            return Literal("boolean", value == "TRUE")
        if kind == "kw" and value == "NULL":
            return Literal("null", None)
        if kind == "name" and value.isupper():
            raise SoqlError(f"date literal {value} is not supported by the sandbox")
        raise SoqlError(f"expecting a literal value, found {value or 'end of query'!r}")


def parse(text: str) -> Query:
    return _Parser(text).parse()


_NUMERIC = {"double", "int", "currency", "percent"}


def check_literal(field_name: str, field_type: str, literal: Literal) -> None:
    """Salesforce refuses quoted datetimes and mistyped literals; so do we."""
    if literal.kind == "null":
        return
    if field_type == "datetime" and literal.kind != "datetime":
        raise SoqlError(
            f"value of filter criterion for field '{field_name}' must be of type dateTime "
            "and should not be enclosed in quotes",
            "INVALID_FIELD",
        )
    if field_type == "date" and literal.kind not in ("date",):
        raise SoqlError(
            f"value of filter criterion for field '{field_name}' must be of type date "
            "and should not be enclosed in quotes",
            "INVALID_FIELD",
        )
    if field_type in _NUMERIC and literal.kind != "number":
        raise SoqlError(
            f"value of filter criterion for field '{field_name}' must be a number", "INVALID_FIELD"
        )
    if field_type == "boolean" and literal.kind != "boolean":
        raise SoqlError(
            f"value of filter criterion for field '{field_name}' must be of type "
            "boolean and should not be enclosed in quotes",
            "INVALID_FIELD",
        )
    if field_type not in _NUMERIC | {"datetime", "date", "boolean"} and literal.kind != "string":
        raise SoqlError(
            f"value of filter criterion for field '{field_name}' must be a quoted string",
            "INVALID_FIELD",
        )


def comparable(value: Any, field_type: str) -> Any:
    """A stored value in a form that orders like Salesforce orders it."""
    if value is None:
        return None
    if field_type == "datetime":
        return parse_datetime(str(value))
    if field_type == "date":
        return date.fromisoformat(str(value)[:10])
    if field_type in _NUMERIC:
        return float(value)
    if field_type == "boolean":
        return bool(value)
    return str(value).casefold()


def _literal_value(literal: Literal, field_type: str) -> Any:
    if literal.kind == "string":
        return literal.value.casefold()
    if literal.kind == "date" and field_type == "datetime":
        return datetime.combine(literal.value, datetime.min.time(), tzinfo=UTC)
    return literal.value


def _like(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.compile(out, re.IGNORECASE | re.DOTALL)


Getter = Callable[[str], tuple[Any, str]]  # field path -> (value, field type)


def matches(node: Condition | BoolOp | None, get: Getter) -> bool:
    """Evaluate a WHERE tree for one record."""
    if node is None:
        return True
    if isinstance(node, BoolOp):
        if node.op == "AND":
            return all(matches(p, get) for p in node.parts)
        if node.op == "OR":
            return any(matches(p, get) for p in node.parts)
        return not matches(node.parts[0], get)
    raw, field_type = get(node.field)
    value = comparable(raw, field_type)
    if node.op in ("IN", "NOT IN"):
        assert isinstance(node.value, tuple)
        options = [_literal_value(v, field_type) for v in node.value]
        found = value is not None and value in options
        return found if node.op == "IN" else not found
    assert isinstance(node.value, Literal)
    if node.value.kind == "null":
        return (value is None) == (node.op == "=")
    if node.op == "LIKE":
        return raw is not None and bool(_like(node.value.value).fullmatch(str(raw)))
    target = _literal_value(node.value, field_type)
    if node.op == "!=":
        return bool(value != target)
    if value is None:
        return False
    try:
        if node.op == "=":
            return bool(value == target)
        if node.op == "<":
            return bool(value < target)
        if node.op == "<=":
            return bool(value <= target)
        if node.op == ">":
            return bool(value > target)
        return bool(value >= target)
    except TypeError:
        return False
