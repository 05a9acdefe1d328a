"""RevOps remaps the CRM fields enrich writes and reads (ENRICH_CRM_FIELDS); setup, the writer
and the mirror all follow the mapping, and a wrong mapping fails at start with what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from enrich.errors import ConfigError
from enrich.models import CrmRecord
from enrich.sync.fields import FieldMap
from enrich.sync.mirror import pull
from enrich.sync.sandbox import Sandbox
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
    path.write_text("salesforce:\n  people: [contact]\n  write:\n    score: Engagement_Score__c\n"
                    "    profiles: null\n  mirror:\n    contact: {linkedin_url: LinkedIn__c}\n"
                    "hubspot:\n  write: {score: social_score}\n")
    fields = FieldMap.from_settings(settings_with(tmp_path, "salesforce", str(path)))  # type: ignore[arg-type]
    assert fields.person["score"] == "Engagement_Score__c"
    assert fields.person["profiles"] is None
    assert fields.person["interests"] == "Social_Interests__c"
    assert fields.people == ("contact",)
    assert fields.read_fields("contact", {"linkedin_url": "LinkedIn_Url__c", "email": "Email"}) \
        == {"linkedin_url": "LinkedIn__c", "email": "Email"}
    hubspot = FieldMap.from_settings(settings_with(tmp_path, "hubspot", str(path)))  # type: ignore[arg-type]
    assert hubspot.person["score"] == "social_score"
    assert FieldMap.from_dict("salesforce", fields.to_dict()) == fields


@pytest.mark.parametrize(("crm", "mapping", "says"), [
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
])
def test_a_wrong_mapping_fails_at_start_with_what_to_fix(
        tmp_path: Path, crm: str, mapping: object, says: str) -> None:
    with pytest.raises(ConfigError, match="ENRICH_CRM_FIELDS") as caught:
        settings_with(tmp_path, crm, mapping)
    assert says in str(caught.value)


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_setup_and_the_writer_use_the_remapped_field(crm: str, tmp_path: Path) -> None:
    score = "Engagement_Score__c" if crm == "salesforce" else "engagement_score"
    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(tmp_path, sandbox, crm, crm_fields=json.dumps(
            {"write": {"score": score, "profiles": None}}))
        try:
            setup = (setup_salesforce if crm == "salesforce" else setup_hubspot)(world.adapter)
            created = "Contact." + score if crm == "salesforce" else "contacts." + score
            assert created in setup.created and setup.ok
            assert not any("Social_Profiles__c" in n or "enrich_social_profiles" in n
                           for n in setup.created + setup.existing)
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
        tmp_path: Path) -> None:
    seed = people_seed(3)
    seed["leads"] = [{"first_name": "Lee", "last_name": "Lead", "email": "lee@lead.example",
                      "company": "Leadco"}]
    mapping = {"people": ["contact"],
               "mirror": {"contact": {"linkedin_url": "LinkedIn_Profile__c"}}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with Sandbox(seed=seed) as sandbox:
        probe = World(tmp_path / "a", sandbox, "salesforce")  # defaults: leads are mirrored
        with Session(probe.rt.engine) as s:
            assert s.exec(select(CrmRecord).where(CrmRecord.object_type == "lead")).first()
        sf = probe.adapter.sf  # type: ignore[attr-defined]
        sf.toolingexecute("sobjects/CustomField/", method="POST", data={
            "FullName": "Contact.LinkedIn_Profile__c",
            "Metadata": {"type": "Url", "label": "LinkedIn profile"}})
        [person] = sandbox.sf_records("Contact", Email="person1@acme.example")
        sf.Contact.update(person["Id"], {"LinkedIn_Profile__c": "https://www.linkedin.com/in/p1"})
        probe.close()
        world = World(tmp_path / "b", sandbox, "salesforce", crm_fields=json.dumps(mapping))
        try:
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                record = s.exec(select(CrmRecord).where(
                    CrmRecord.email == "person1@acme.example")).one()
                assert record.linkedin_url == "https://www.linkedin.com/in/p1"
                assert s.exec(select(CrmRecord).where(CrmRecord.object_type == "lead")).first() \
                    is None
        finally:
            world.close()
