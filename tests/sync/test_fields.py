"""RevOps remaps the CRM fields enrich writes and reads (ENRICH_CRM_FIELDS); setup, the writer
and the mirror all follow the mapping, and a wrong mapping fails at start with what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from enrich.errors import ConfigError
from enrich.models import CrmRecord
from enrich.sandbox import Sandbox
from enrich.sync.fields import FieldMap
from enrich.sync.mirror import pull
from enrich.sync.setup import setup_hubspot, setup_salesforce
from tests.conftest import make_settings
from tests.sync.harness import World, people_seed


def settings_with(tmp_path: Path, crm: str, mapping: object) -> object:
    value = mapping if isinstance(mapping, str) else json.dumps(mapping)
    return make_settings(f"sqlite:///{tmp_path / 'f.db'}", crm=crm, crm_fields=value)


def test_defaults_are_the_documented_names() -> None:
    sf, hs = FieldMap.default("salesforce"), FieldMap.default("hubspot")
    assert sf.person["score"] == "Social_Score__c" and hs.person["score"] == "enrich_social_score"
    assert sf.people == ("contact", "lead") and hs.people == ("contact",)


def test_a_yaml_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text(
        "salesforce:\n  people: [contact]\n  write:\n    score: Engagement_Score__c\n"
        "    profiles: null\n  mirror:\n    contact: {linkedin_url: LinkedIn__c}\n"
        "hubspot:\n  write: {score: social_score}\n"
    )
    fields = FieldMap.from_settings(settings_with(tmp_path, "salesforce", str(path)))
    assert fields.person["score"] == "Engagement_Score__c"
    assert fields.person["profiles"] is None
    assert fields.person["interests"] == "Social_Interests__c"
    assert fields.people == ("contact",)
    assert fields.read_fields("contact", {"linkedin_url": "LinkedIn_Url__c", "email": "Email"}) == {
        "linkedin_url": "LinkedIn__c",
        "email": "Email",
    }
    hubspot = FieldMap.from_settings(settings_with(tmp_path, "hubspot", str(path)))
    assert hubspot.person["score"] == "social_score"
    assert FieldMap.from_dict("salesforce", fields.to_dict()) == fields


@pytest.mark.parametrize(
    ("crm", "mapping", "says"),
    [
        ("salesforce", {"write": {"scroe": "X__c"}}, "unknown 'scroe'; known: score"),
        ("salesforce", {"write": {"score": "Bad Name"}}, "not a valid salesforce field name"),
        ("hubspot", {"write": {"score": "Social_Score"}}, "lower case"),
        ("salesforce", {"write": {"score": "Social_Interests__c"}}, "mapped to both"),
        ("hubspot", {"people": ["lead"]}, "not a person object of hubspot"),
        ("salesforce", {"mirror": {"task": {"email": "Email"}}}, "'task' is not mirrored"),
        ("salesforce", {"mirror": {"contact": {"linkedin": "L__c"}}}, "unknown 'linkedin'"),
        ("salesforce", {"colour": "blue"}, "Extra inputs are not permitted"),
        ("salesforce", "[1, 2]", "must be a mapping"),
        ("salesforce", "/nowhere/fields.yaml", "no such file"),
    ],
)
def test_a_wrong_mapping_fails_at_start_with_what_to_fix(
    tmp_path: Path, crm: str, mapping: object, says: str
) -> None:
    with pytest.raises(ConfigError, match="ENRICH_CRM_FIELDS") as caught:
        settings_with(tmp_path, crm, mapping)
    assert says in str(caught.value)


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_setup_and_the_writer_use_the_remapped_field(crm: str, tmp_path: Path) -> None:
    score = "Engagement_Score__c" if crm == "salesforce" else "engagement_score"
    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(
            tmp_path,
            sandbox,
            crm,
            crm_fields=json.dumps({"write": {"score": score, "profiles": None}}),
        )
        try:
            setup = (setup_salesforce if crm == "salesforce" else setup_hubspot)(world.adapter)
            created = "Contact." + score if crm == "salesforce" else "contacts." + score
            assert created in setup.created and setup.ok
            assert not any(
                "Social_Profiles__c" in n or "enrich_social_profiles" in n
                for n in setup.created + setup.existing
            )
            world.ingest([("person1@acme.example", "comment", "hello")])
            world.sync()
            contact = sandbox.contact("person1@acme.example", crm)
            assert contact is not None
            values = contact if crm == "salesforce" else contact["properties"]
            default = "Social_Score__c" if crm == "salesforce" else "enrich_social_score"
            assert float(values[score]) > 0
            assert not values.get(default)
        finally:
            world.close()


def test_the_mirror_reads_the_fields_revops_names_and_only_the_chosen_people(
    tmp_path: Path,
) -> None:
    seed = people_seed(3)
    seed["leads"] = [
        {"first_name": "Lee", "last_name": "Lead", "email": "lee@lead.example", "company": "Leadco"}
    ]
    mapping = {
        "people": ["contact"],
        "mirror": {"contact": {"linkedin_url": "LinkedIn_Profile__c"}},
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with Sandbox(seed=seed) as sandbox:
        probe = World(tmp_path / "a", sandbox, "salesforce")  # defaults: leads are mirrored
        with Session(probe.rt.engine) as s:
            assert s.exec(select(CrmRecord).where(CrmRecord.object_type == "lead")).first()
        sf = probe.adapter.sf
        sf.toolingexecute(
            "sobjects/CustomField/",
            method="POST",
            data={
                "FullName": "Contact.LinkedIn_Profile__c",
                "Metadata": {"type": "Url", "label": "LinkedIn profile"},
            },
        )
        [person] = sandbox.sf_records("Contact", Email="person1@acme.example")
        sf.Contact.update(person["Id"], {"LinkedIn_Profile__c": "https://www.linkedin.com/in/p1"})
        probe.close()
        world = World(tmp_path / "b", sandbox, "salesforce", crm_fields=json.dumps(mapping))
        try:
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                record = s.exec(
                    select(CrmRecord).where(CrmRecord.email == "person1@acme.example")
                ).one()
                assert record.linkedin_url == "https://www.linkedin.com/in/p1"
                assert (
                    s.exec(select(CrmRecord).where(CrmRecord.object_type == "lead")).first() is None
                )
        finally:
            world.close()


def test_hubspot_setup_creates_the_note_key_with_unique_values(tmp_path: Path) -> None:
    with Sandbox(seed={**people_seed(2), "enrich_fields": False}) as sandbox:
        world = World(tmp_path, sandbox, "hubspot")
        try:
            report = setup_hubspot(world.adapter)
            assert "notes.enrich_touchpoint_id" in report.created and report.ok
            hs = world.adapter.client
            prop = hs.crm.properties.core_api.get_by_name("notes", "enrich_touchpoint_id")
            assert prop.has_unique_value
            assert "notes.enrich_touchpoint_id" in setup_hubspot(world.adapter).existing
        finally:
            world.close()


def test_a_portal_with_a_non_unique_note_key_is_migrated_to_a_unique_one(tmp_path: Path) -> None:
    """HubSpot cannot make a property unique after the fact: setup adds a unique key, copies
    the keys of the notes written so far (a key written twice goes to its first note only)
    and says which setting to change; writes keyed by it then never duplicate a note."""
    from hubspot.crm.objects.notes import (
        BatchInputSimplePublicObjectBatchInputForCreate,
        SimplePublicObjectBatchInputForCreate,
    )

    with Sandbox(seed=people_seed(2)) as sandbox:
        # An older enrich created the key without unique values and wrote one note twice.
        sandbox.state.hs_properties["notes"]["enrich_touchpoint_id"]["hasUniqueValue"] = False
        world = World(tmp_path, sandbox, "hubspot")
        hs = world.adapter.client
        hs.crm.objects.notes.batch_api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[
                    SimplePublicObjectBatchInputForCreate(
                        properties={
                            "hs_timestamp": "2026-01-05T10:00:00.000Z",
                            "hs_note_body": "old",
                            "enrich_touchpoint_id": key,
                        }
                    )
                    for key in ("k1", "k2", "k1")
                ]
            )
        )
        try:
            report = setup_hubspot(world.adapter)
            assert "notes.enrich_touchpoint_key" in report.created and report.ok
            [notice] = report.notices
            assert "HUBSPOT_NOTE_KEY_PROPERTY=enrich_touchpoint_key" in notice
            assert "2 notes were copied" in notice and "1 notes repeat" in notice
            prop = hs.crm.properties.core_api.get_by_name("notes", "enrich_touchpoint_key")
            assert prop.has_unique_value
            copied = sorted(
                str(n["properties"].get("enrich_touchpoint_key"))
                for n in sandbox.hs_objects("notes")
            )
            assert copied == ["None", "k1", "k2"]
        finally:
            world.close()
        (tmp_path / "after").mkdir()
        migrated = World(
            tmp_path / "after",
            sandbox,
            "hubspot",
            hubspot_note_key_property="enrich_touchpoint_key",
        )
        try:
            migrated.ingest([("person1@acme.example", "comment", "hello")])
            migrated.sync_until_done()
            migrated.sync()
            keys = [
                n["properties"].get("enrich_touchpoint_key") for n in sandbox.hs_objects("notes")
            ]
            assert len([k for k in keys if k not in (None, "k1", "k2")]) == 1
        finally:
            migrated.close()
