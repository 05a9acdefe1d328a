"""The CRM front ends are tested against recorded card documents (integrations/*/fixtures);
these checks keep the recordings in the shape the backend answers today, so a change of the
card's JSON fails here until the recordings (and the components) follow.

    ENRICH_WRITE_CARD_FIXTURES=1 .venv/bin/pytest tests/embed/test_contract.py   # re-record
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.embed.conftest import SF_ACCOUNT, SF_CONTACT, Crm

ROOT = Path(__file__).resolve().parents[2] / "integrations"
FIXTURES = [
    ROOT / "hubspot/src/app/cards/fixtures",
    ROOT / "salesforce/force-app/main/default/lwc/enrichSocialCard/__tests__/data",
]


def shape(value: Any) -> Any:
    """Keys and value types, not values (times and ids differ from run to run)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else "null"


@pytest.mark.parametrize("name", ["contact", "account", "empty"])
def test_recorded_cards_have_the_shape_the_backend_answers(
    crm: Crm, world: dict[str, int], name: str
) -> None:
    record = {"contact": SF_CONTACT, "account": SF_ACCOUNT, "empty": "003000000000777AAA"}[name]
    live = crm.salesforce("card", record).get_json()
    for folder in FIXTURES:
        path = folder / f"{name}.json"
        if os.environ.get("ENRICH_WRITE_CARD_FIXTURES"):
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(live, indent=2, ensure_ascii=False) + "\n")
        assert shape(json.loads(path.read_text())) == shape(live), f"re-record {path}"
