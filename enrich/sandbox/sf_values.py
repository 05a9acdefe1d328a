"""The Salesforce sandbox's field values: a write checked against the declared schema
(unknown, read-only, required and unique fields; types coerced as Salesforce stores them;
references that must point at a live record of the right type), and the write itself."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from enrich.sandbox.schema import SF_PREFIX_TO_OBJECT, SFField
from enrich.sandbox.sf_errors import SfError, _err
from enrich.sandbox.state import SandboxState, parse_datetime, sf_format

_NUMERIC = {"double", "int", "currency", "percent"}
_TEXT = {"string", "textarea", "url", "email", "phone", "picklist", "combobox"}


class FieldValues:
    """Mixed into SalesforceBase: everything here reads or writes `state` only."""

    state: SandboxState

    def live(self, sobject: str) -> list[dict[str, Any]]:
        return [r for r in self.state.sf_records[sobject].values() if not r["IsDeleted"]]

    def validate(
        self,
        sobject: str,
        values: dict[str, Any],
        record: dict[str, Any] | None,
        allow: tuple[str, ...] = (),
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Check a write against the declared schema; (clean values, per-record errors)."""
        creating = record is None
        clean: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for key, value in values.items():
            if key == "attributes" or key in allow:
                continue
            fld = self.state.sf_field(sobject, key)
            if fld is None:
                errors.append(
                    _err("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}")
                )
                continue
            if (creating and not fld.createable) or (not creating and not fld.updateable):
                errors.append(
                    _err(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {fld.name}. Please check the security "
                        "settings of this field and verify that it is read/write for your profile "
                        "or permission set.",
                        [fld.name],
                    )
                )
                continue
            try:
                clean[fld.name] = self.coerce(fld, value)
            except SfError as exc:
                errors.append(_err(exc.code, exc.message, exc.fields or [fld.name]))
        if errors:
            return clean, errors
        merged = {**(record or {}), **clean}
        missing = [
            f.name
            for f in self.state.sf_schema[sobject].values()
            if f.required and merged.get(f.name) in (None, "") and (creating or f.name in clean)
        ]
        if missing:
            errors.append(
                _err(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    missing,
                )
            )
        for name, value in clean.items():
            fld = self.state.sf_schema[sobject][name]
            if fld.unique and value is not None:
                for other in self.live(sobject):
                    if (
                        other is not record
                        and other.get(name) is not None
                        and str(other[name]).lower() == str(value).lower()
                    ):
                        errors.append(
                            _err(
                                "DUPLICATE_VALUE",
                                f"duplicate value found: {name} duplicates "
                                f"value on record with id: {other['Id']}",
                                [name],
                            )
                        )
                        break
        return clean, errors

    def coerce(self, fld: SFField, value: Any) -> Any:
        if value is None:
            return None
        kind = fld.type

        def bad(expected: str) -> SfError:
            return SfError(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {expected} "
                f"from {type(value).__name__} value {value!r} or request may be "
                "missing a required field",
                [fld.name],
            )

        if kind in _NUMERIC:
            if isinstance(value, bool):
                raise bad("double")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise bad("double") from None
            if not math.isfinite(number):
                raise bad("double")
            return int(number) if kind == "int" else number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise bad("boolean")
        if kind == "datetime":
            try:
                return sf_format(parse_datetime(str(value)))
            except ValueError:
                raise bad("datetime") from None
        if kind == "date":
            try:
                return date.fromisoformat(str(value)[:10]).isoformat()
            except ValueError:
                raise bad("date") from None
        if kind in ("reference", "id"):
            return self.reference(fld, value)
        if isinstance(value, dict | list):
            raise bad("string")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if kind in _TEXT and fld.length and len(text) > fld.length:
            raise SfError(
                400,
                "STRING_TOO_LONG",
                f"{fld.label or fld.name}: data value too "
                f"large: {text[:40]}... (max length={fld.length})",
                [fld.name],
            )
        return text

    def reference(self, fld: SFField, value: Any) -> str:
        text = str(value)
        target = SF_PREFIX_TO_OBJECT.get(text[:3])
        if len(text) not in (15, 18) or not text.isalnum() or target not in fld.referenceTo:
            raise SfError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"field integrity exception: {fld.name} (id value of incorrect type: {text})",
                [fld.name],
            )
        record = self.state.sf_find(target, text)
        if record is None or record["IsDeleted"]:
            raise SfError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"invalid cross reference id ({fld.name}: {text})",
                [fld.name],
            )
        return str(record["Id"])

    def apply(
        self, sobject: str, record: dict[str, Any] | None, clean: dict[str, Any]
    ) -> dict[str, Any]:
        if record is None:
            return self.state.sf_insert(sobject, clean)
        record.update(clean)
        self.state.sf_refresh_computed(sobject, record)
        record["LastModifiedDate"] = record["SystemModstamp"] = sf_format(self.state.now())
        self.state.dirty = True
        return record
