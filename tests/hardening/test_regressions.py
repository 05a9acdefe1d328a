"""Regression tests for the bugs the hardening suite found (see docs/RELIABILITY.md)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from enrich.errors import ConfigError
from enrich.scoring import ScoringConfig, Taxonomy
from tests.hardening.conftest import SIGNERS


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "page", "entry": [{"id": "1", "messaging": 1.5}]},
        {"object": "page", "entry": [{"id": "1", "changes": 7}]},
        {"object": "instagram", "entry": [{"id": "1", "changes": True, "messaging": "x"}]},
    ],
)
def test_meta_non_list_changes_or_messaging_is_stored_not_500(
    mclient: FlaskClient, payload: dict
) -> None:
    body = json.dumps(payload).encode()
    path, sign = SIGNERS["meta"]
    assert mclient.post(path, data=body, headers=sign(body)).status_code == 200


def test_x_follow_event_with_non_object_source_is_stored_not_500(mclient: FlaskClient) -> None:
    body = json.dumps(
        {"for_user_id": "1", "follow_events": [{"type": "follow", "source": "abc", "target": 5}]}
    ).encode()
    path, sign = SIGNERS["x"]
    assert mclient.post(path, data=body, headers=sign(body)).status_code == 200


@pytest.mark.parametrize("loader", [Taxonomy.from_yaml, ScoringConfig.from_yaml])
def test_control_character_in_yaml_is_a_config_error(loader: object) -> None:
    with pytest.raises(ConfigError, match="malformed YAML"):
        loader("\x1f")


def test_two_long_delivery_ids_sharing_a_prefix_stay_two_deliveries(tmp_path) -> None:
    from enrich.config import load_settings
    from enrich.db import make_engine, upgrade
    from webhooks.store import store_raw_event

    url = f"sqlite:///{tmp_path / 'ids.db'}"
    upgrade(url)
    engine = make_engine(load_settings(env_file=None, database_url=url))
    prefix = "m" * 250
    first = store_raw_event(
        engine, source="standard:t", delivery_id=prefix + "1", body=b"{}", headers={}
    )
    second = store_raw_event(
        engine, source="standard:t", delivery_id=prefix + "2", body=b"{}", headers={}
    )
    again = store_raw_event(
        engine, source="standard:t", delivery_id=prefix + "2", body=b"{}", headers={}
    )
    assert first[1] and second[1] and first[0] != second[0]
    assert again == (second[0], False)
