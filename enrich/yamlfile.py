"""Strict YAML loading: the one loader for every YAML (or JSON) text enrich reads — match
rules, topic taxonomy, scoring config, CRM field map, social accounts.

PyYAML silently keeps the last of two equal keys and forgets where a value came from.
This loader refuses duplicate keys and remembers the line of every mapping key and sequence
item, so validation errors can say "line 42: topics[3].keywords must be a list of strings"
instead of a bare "invalid config". Every problem raises :class:`enrich.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import yaml

from enrich.errors import ConfigError

T = TypeVar("T")


class LocatedDict(dict[str, Any]):
    """A YAML mapping that knows the (1-based) line of itself and of each key."""

    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    """A YAML sequence that knows the (1-based) line of itself and of each item."""

    line: int
    item_lines: list[int]


# libyaml's parser where PyYAML was built with it: the same documents, read ~8x faster than by
# the pure-Python one (an `enrich match` run reads its rules first). The constructors below,
# which refuse duplicates and keep lines, are Python in both.
if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):
    name: str


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError(f"{loader.name}:{line}: keys must be text, not a list or mapping")
        # A key is the text as written: match rules name a level `null`, which YAML would
        # resolve to None (and `yes:` to True, `1:` to 1).
        key = key_node.value
        if key in result:
            raise ConfigError(
                f"{loader.name}:{line}: duplicate key {key!r} "
                f"(first on line {result.key_lines[key]}); remove or rename one"
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, source: str) -> Any:
    """Parse ``text`` (named ``source`` in messages) strictly; raise ConfigError with a line."""
    try:
        # The reader checks the characters as it is built: a control character is a YAMLError.
        loader = _StrictLoader(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: malformed YAML: {exc}") from exc
    loader.name = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"{where}: malformed YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: malformed YAML: {exc}") from exc
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> Any:
    """Read and strictly parse a YAML file; a missing file is a ConfigError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}); check the path") from exc
    return load_yaml(text, str(path))


class Reader:
    """Typed access to a parsed YAML document with errors that name path and line.

    ``Reader("scoring.yaml").field(node, "like", "points", as_number, "a number")`` returns
    the value or raises ConfigError("scoring.yaml:12: points.like: must be a number, got ...").
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int | None, path: str, message: str) -> NoReturn:
        where = f"{self.source}:{line}" if line else self.source
        raise ConfigError(f"{where}: {path}: {message}")

    def mapping(self, value: Any, path: str, line: int | None) -> LocatedDict:
        if isinstance(value, LocatedDict):
            return value
        if isinstance(value, dict):  # built in code rather than parsed: no line numbers
            located = LocatedDict(value)
            located.line = 0
            located.key_lines = {}
            return located
        self.fail(line, path, f"must be a mapping (key: value), got {_kind(value)}")

    def sequence(self, value: Any, path: str, line: int | None) -> list[tuple[Any, int | None]]:
        if isinstance(value, LocatedList):
            return list(zip(value, value.item_lines, strict=True))
        if isinstance(value, list | tuple):
            return [(item, line) for item in value]
        self.fail(line, path, f"must be a list, got {_kind(value)}")

    def only_keys(self, node: LocatedDict, path: str, allowed: set[str]) -> None:
        for key in node:
            if key not in allowed:
                self.fail(
                    node.key_lines.get(key, node.line),
                    f"{path}.{key}" if path else key,
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )

    def line_of(self, node: LocatedDict, key: str) -> int | None:
        return node.key_lines.get(key) or getattr(node, "line", None) or None

    def field(
        self,
        node: LocatedDict,
        key: str,
        path: str,
        check: Callable[[Any], T | None],
        expected: str,
        default: T | None = None,
        required: bool = False,
    ) -> T:
        full = f"{path}.{key}" if path else key
        if key not in node:
            if required or default is None:
                self.fail(getattr(node, "line", None), full, f"is required ({expected})")
            return default
        value = node[key]
        converted = check(value)
        if converted is None:
            self.fail(self.line_of(node, key), full, f"must be {expected}, got {_kind(value)}")
        return converted


def as_number(value: Any) -> float | None:
    """A YAML int/float as float; booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_positive(value: Any) -> float | None:
    number = as_number(value)
    return number if number is not None and number > 0 else None


def as_non_negative(value: Any) -> float | None:
    number = as_number(value)
    return number if number is not None and number >= 0 else None


def as_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) < 40 else "text"
    return f"{type(value).__name__} {value!r}"
