"""The sandbox's in-memory CRM state, shared by the Salesforce and HubSpot listeners.

Both sides are projected from one neutral seed (see `seed.py`) but evolve independently,
as two separate CRMs would. All access goes through `SandboxState.lock`; the state can be
saved to and loaded from a JSON file so a demo org survives restarts.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, deque
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enrich.sandbox.hs_schema import (
    HS_LASTMODIFIED,
    HS_SINGULAR,
    inverse_association,
    standard_hs_groups,
    standard_hs_properties,
)
from enrich.sandbox.schema import (
    SF_PREFIXES,
    SFField,
    standard_sf_schema,
)

HS_STORED = tuple(HS_SINGULAR)  # the HubSpot object types the sandbox keeps
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_id18(id15: str) -> str:
    """The 18-character, case-insensitive-safe form of a 15-character Salesforce id."""
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def sf_format(moment: datetime) -> str:
    """Salesforce's datetime wire format: 2026-01-05T10:00:00.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}+0000"
    )


def hs_format(moment: datetime) -> str:
    """HubSpot's datetime wire format: 2026-01-05T10:00:00.123Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_datetime(text: str) -> datetime:
    """Parse the ISO 8601 variants both CRMs send (Z, +0000, +00:00, date-only)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":" and "T" in value:
        value = value[:-2] + ":" + value[-2:]
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class RequestLog:
    """Counts of requests per CRM side and endpoint template ("PATCH /crm/v3/.../{id}")."""

    def __init__(self, keep: int = 5000) -> None:
        self._lock = threading.Lock()
        self.entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self.counts: Counter[tuple[str, str]] = Counter()

    def record(
        self, side: str, method: str, template: str, status: int, path: str, query: str = ""
    ) -> None:
        endpoint = f"{method} {template}"
        with self._lock:
            self.counts[(side, endpoint)] += 1
            self.entries.append(
                {
                    "side": side,
                    "endpoint": endpoint,
                    "path": path,
                    "query": query,
                    "status": status,
                    "at": time.time(),
                }
            )

    def reset(self) -> None:
        with self._lock:
            self.entries.clear()
            self.counts.clear()

    def count(self, endpoint: str | None = None, side: str | None = None) -> int:
        """Requests matching `endpoint`: "METHOD template", or a template for any method.

        A template without a leading slash matches as a path suffix, so
        "composite/sobjects" needs no "/services/data/v59.0/" in front of it.
        """
        with self._lock:
            return sum(
                n
                for (s, key), n in self.counts.items()
                if (side is None or s == side) and (endpoint is None or _matches(key, endpoint))
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts: dict[str, dict[str, int]] = {}
            for (side, endpoint), n in sorted(self.counts.items()):
                counts.setdefault(side, {})[endpoint] = n
            return {
                "total": sum(self.counts.values()),
                "counts": counts,
                "recent": list(self.entries)[-200:],
            }


def _matches(key: str, wanted: str) -> bool:
    method, _, template = key.partition(" ")
    want_method, sep, want_template = wanted.partition(" ")
    if not sep or want_method.upper() != want_method or "/" in want_method:
        want_method, want_template = "", wanted
    if want_method and want_method != method:
        return False
    want_template = want_template.rstrip("/")
    if want_template.startswith("/"):
        return template == want_template
    return template == want_template or template.endswith("/" + want_template)


class SandboxState:
    """Everything both fake CRMs know. Mutate only while holding `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.log = RequestLog()
        self._last_ms = 0
        self.sf_schema: dict[str, dict[str, SFField]] = standard_sf_schema()
        self.sf_records: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in SF_PREFIXES}
        self.sf_counter = 0
        self.sf_api_used = 0
        self.hs_objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in HS_STORED}
        self.hs_properties = standard_hs_properties()
        self.hs_groups = standard_hs_groups()
        # (from_type, from_id, to_type, to_id, type_id); both directions are stored.
        self.hs_associations: set[tuple[str, str, str, str, int]] = set()
        self.hs_owners: list[dict[str, Any]] = []
        self.hs_counter = 1000
        self.hs_daily_used = 0
        self.bulk_jobs: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, str] = {}
        self.dirty = False

    # ------------------------------------------------------------------ clock and ids
    def now(self) -> datetime:
        """Wall-clock UTC, strictly increasing by at least 1 ms per call.

        Incremental pulls compare modification stamps; two writes in the same
        millisecond must still be ordered.
        """
        with self.lock:
            ms = max(int(time.time() * 1000), self._last_ms + 1)
            self._last_ms = ms
            return datetime.fromtimestamp(ms / 1000, tz=UTC)

    def new_sf_id(self, sobject: str) -> str:
        return self.new_sf_id_with_prefix(SF_PREFIXES[sobject])

    def new_sf_id_with_prefix(self, prefix: str) -> str:
        with self.lock:
            self.sf_counter += 1
            n, digits = self.sf_counter, ""
            for _ in range(8):
                n, r = divmod(n, 62)
                digits = _ALPHABET[r] + digits
            return sf_id18(f"{prefix}Dn00{digits}")

    def new_hs_id(self) -> str:
        with self.lock:
            self.hs_counter += 1
            return str(self.hs_counter * 1009 + 101)  # numeric, not 1, 2, 3 (looks real)

    # ------------------------------------------------------------------ Salesforce
    def sf_find(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        """A record by 15- or 18-character id, deleted ones included."""
        records = self.sf_records.get(sobject, {})
        if len(record_id) == 15:
            record_id = sf_id18(record_id)
        return records.get(record_id)

    def sf_field(self, sobject: str, name: str) -> SFField | None:
        """A field by name; SOQL and REST field names are case-insensitive."""
        schema = self.sf_schema.get(sobject, {})
        if name in schema:
            return schema[name]
        lowered = name.lower()
        for field_name, fld in schema.items():
            if field_name.lower() == lowered:
                return fld
        return None

    def sf_object_name(self, name: str) -> str | None:
        for sobject in self.sf_schema:
            if sobject.lower() == name.lower():
                return sobject
        return None

    def sf_insert(
        self, sobject: str, values: dict[str, Any], when: datetime | None = None
    ) -> dict[str, Any]:
        """Store a new record as given (validation is the caller's job)."""
        with self.lock:
            stamp = sf_format(when or self.now())
            record: dict[str, Any] = {name: None for name in self.sf_schema[sobject]}
            record.update(values)
            record.update(
                Id=self.new_sf_id(sobject),
                IsDeleted=False,
                CreatedDate=stamp,
                LastModifiedDate=stamp,
                SystemModstamp=stamp,
            )
            self.sf_refresh_computed(sobject, record)
            self.sf_records[sobject][record["Id"]] = record
            self.dirty = True
            return record

    def sf_refresh_computed(self, sobject: str, record: dict[str, Any]) -> None:
        if "Name" in self.sf_schema[sobject] and "FirstName" in self.sf_schema[sobject]:
            parts = [record.get("FirstName"), record.get("LastName")]
            record["Name"] = " ".join(p for p in parts if p) or None
        if sobject == "Opportunity":
            # The standard stages' meaning (a real org reads it from the stage's settings).
            stage = str(record.get("StageName") or "").lower()
            record["IsClosed"] = stage in ("closed won", "closed lost")
            record["IsWon"] = stage == "closed won"

    @staticmethod
    def hs_refresh_computed(object_type: str, props: dict[str, Any]) -> None:
        """HubSpot's calculated deal properties, from the default pipeline's stages."""
        if object_type == "deals":
            stage = props.get("dealstage")
            props["hs_is_closed"] = "true" if stage in ("closedwon", "closedlost") else "false"
            props["hs_is_closed_won"] = "true" if stage == "closedwon" else "false"

    # ------------------------------------------------------------------ HubSpot
    def hs_insert(
        self, object_type: str, properties: dict[str, str | None], when: datetime | None = None
    ) -> dict[str, Any]:
        with self.lock:
            stamp = hs_format(when or self.now())
            object_id = self.new_hs_id()
            props = {k: v for k, v in properties.items() if v is not None}
            props.update(
                {
                    "hs_object_id": object_id,
                    "createdate": stamp,
                    HS_LASTMODIFIED[object_type]: stamp,
                }
            )
            self.hs_refresh_computed(object_type, props)
            record = {
                "id": object_id,
                "properties": props,
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
            }
            self.hs_objects[object_type][object_id] = record
            self.dirty = True
            return record

    def hs_associate(
        self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int
    ) -> None:
        with self.lock:
            self.hs_associations.add((from_type, from_id, to_type, to_id, type_id))
            back = inverse_association(from_type, to_type, type_id)
            self.hs_associations.add((to_type, to_id, from_type, from_id, back))
            self.dirty = True

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": 1,
                "sf_schema": {
                    o: {n: asdict(f) for n, f in fs.items()} for o, fs in self.sf_schema.items()
                },
                "sf_records": self.sf_records,
                "sf_counter": self.sf_counter,
                "hs_objects": self.hs_objects,
                "hs_properties": self.hs_properties,
                "hs_groups": self.hs_groups,
                "hs_associations": sorted(self.hs_associations),
                "hs_owners": self.hs_owners,
                "hs_counter": self.hs_counter,
                "credentials": self.credentials,
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.sf_schema = {
                o: {n: SFField(**f) for n, f in fs.items()} for o, fs in data["sf_schema"].items()
            }
            self.sf_records = data["sf_records"]
            self.sf_counter = int(data["sf_counter"])
            # A state saved before an object type was emulated gets it empty, as standard.
            self.hs_objects = {t: {} for t in HS_STORED} | data["hs_objects"]
            self.hs_properties = standard_hs_properties() | data["hs_properties"]
            self.hs_groups = standard_hs_groups() | data["hs_groups"]
            self.hs_associations = {
                (str(a[0]), str(a[1]), str(a[2]), str(a[3]), int(a[4]))
                for a in data["hs_associations"]
            }
            self.hs_owners = data["hs_owners"]
            self.hs_counter = int(data["hs_counter"])

    def save(self, path: Path) -> None:
        """Write atomically, so a crash mid-save never leaves half a state file."""
        data = self.to_json()
        tmp = path.with_name(path.name + ".tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        self.dirty = False

    def dump(self) -> dict[str, Any]:
        """A debugging view (`GET /_sandbox/state`)."""
        data = self.to_json()
        data.pop("sf_schema")
        data.pop("credentials")
        data["sf_custom_fields"] = {
            o: sorted(n for n, f in fs.items() if f.custom) for o, fs in self.sf_schema.items()
        }
        data["sf_api_used"] = self.sf_api_used
        data["hs_daily_used"] = self.hs_daily_used
        return data
