"""The HubSpot side, driven only through the real hubspot-api-client."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsError
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.notes import ApiException as NotesError
from hubspot.crm.objects.notes import (
    SimplePublicObjectInputForCreate as NoteInput,
)
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from urllib3.util.retry import Retry

from enrich.sandbox import Sandbox

DANA = "dana.whitfield@northwind.example"


def dana_id(hs: HubSpot) -> str:
    return str(hs.crm.contacts.basic_api.get_by_id(DANA, id_property="email").id)


def body(exc: Exception) -> dict:
    return json.loads(exc.body)


# ---------------------------------------------------------------- auth and limits


def test_a_wrong_token_gets_401(sandbox: Sandbox) -> None:
    client = HubSpot(access_token="pat-na1-wrong", host=sandbox.hubspot_url)
    with pytest.raises(ApiException) as info:
        client.crm.contacts.basic_api.get_page(limit=1)
    assert info.value.status == 401
    assert body(info.value)["category"] == "INVALID_AUTHENTICATION"


def test_rate_limit_headers_on_every_non_search_answer(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.set_limits(hs_ten_secondly=190, hs_daily=250_000)
    _, status, headers = hs.crm.contacts.basic_api.get_page_with_http_info(limit=1)
    assert status == 200
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Remaining"] == "189"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"
    _, _, search_headers = hs.crm.contacts.search_api.do_search_with_http_info(
        PublicObjectSearchRequest(limit=1)
    )
    assert "X-HubSpot-RateLimit-Max" not in search_headers


def test_the_ten_second_burst_limit_answers_429(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.set_limits(hs_ten_secondly=3)
    request = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": DANA}], properties=["email"], id_property="email"
    )
    for _ in range(3):
        hs.crm.contacts.batch_api.read(request)
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.batch_api.read(request)
    assert info.value.status == 429
    assert body(info.value)["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body(info.value)["errorType"] == "RATE_LIMIT"
    assert int(info.value.headers["Retry-After"]) >= 1


def test_search_has_its_own_per_second_limit(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.set_limits(hs_search_per_second=2)
    request = PublicObjectSearchRequest(limit=1)
    hs.crm.contacts.search_api.do_search(request)
    hs.crm.contacts.search_api.do_search(request)
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.search_api.do_search(request)
    assert info.value.status == 429 and body(info.value)["policyName"] == "SECONDLY"
    hs.crm.contacts.basic_api.get_page(limit=1)  # other calls are not throttled by it


def test_the_daily_limit(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.set_limits(hs_daily=1)
    hs.crm.contacts.basic_api.get_page(limit=1)
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": "1"}]))
    assert body(info.value)["policyName"] == "DAILY"


def test_injected_faults_use_hubspot_s_bodies(sandbox: Sandbox, hs: HubSpot) -> None:
    search = PublicObjectSearchRequest(limit=1)
    sandbox.set_faults("hubspot", fail_next=1, fail_with="429")
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.search_api.do_search(search)
    assert info.value.status == 429 and info.value.headers["Retry-After"] == "1"
    sandbox.set_faults("hubspot", fail_next=1, fail_with="503")
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.search_api.do_search(search)
    assert info.value.status == 503
    sandbox.set_faults("hubspot", fail_next=1, fail_with="401")
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.search_api.do_search(search)
    assert info.value.status == 401
    assert body(info.value)["category"] == "EXPIRED_AUTHENTICATION"
    assert hs.crm.contacts.search_api.do_search(search).total == 45


def test_urllib3_retries_a_throttled_get_by_itself(sandbox: Sandbox) -> None:
    # A documented client behaviour (crm.md §3): GETs are re-sent on 429 + Retry-After.
    client = HubSpot(
        access_token=sandbox.access_token,
        host=sandbox.hubspot_url,
        retry=Retry(
            total=2, backoff_factor=0, respect_retry_after_header=False, status_forcelist=(429,)
        ),
    )
    sandbox.set_faults("hubspot", fail_next=1, fail_with="429")
    sandbox.reset_log()
    client.crm.contacts.basic_api.get_page(limit=1)
    assert sandbox.requests_count("GET /crm/v3/objects/{object_type}") == 2


# ---------------------------------------------------------------- reading


def test_get_by_id_with_properties_and_associations(hs: HubSpot) -> None:
    contact = hs.crm.contacts.basic_api.get_by_id(
        dana_id(hs),
        properties=["email", "jobtitle", "twitterhandle", "enrich_social_score"],
        associations=["companies"],
    )
    assert contact.properties["jobtitle"] == "VP of Operations"
    assert contact.properties["twitterhandle"] == "danawhitfield"
    assert contact.properties["enrich_social_score"] is None
    company_id = contact.associations["companies"].results[0].id
    company = hs.crm.companies.basic_api.get_by_id(company_id, properties=["name"])
    assert company.properties["name"] == "Northwind Traders"


def test_get_all_pages_through_every_contact(hs: HubSpot) -> None:
    everyone = hs.crm.contacts.get_all(properties=["email"])
    assert len(everyone) == 45
    page = hs.crm.contacts.basic_api.get_page(limit=100)
    assert page.paging is None
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.get_page(limit=101)
    assert info.value.status == 400


def test_a_deleted_contact_is_listed_only_with_archived_true(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    hs.crm.contacts.basic_api.archive(contact_id)
    assert contact_id not in {c.id for c in hs.crm.contacts.get_all()}
    found = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": DANA}]}
            ]
        )
    )
    assert found.total == 0
    archived = hs.crm.contacts.basic_api.get_page(archived=True, limit=100).results
    [gone] = [c for c in archived if c.id == contact_id]
    assert gone.archived and gone.archived_at is not None
    assert all(c.archived for c in archived)
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.get_by_id(contact_id)
    assert info.value.status == 404


def test_owners(hs: HubSpot) -> None:
    owners = hs.crm.owners.owners_api.get_page().results
    assert {o.email for o in owners} >= {"maya.castellano@enrich-demo.example"}
    contact = hs.crm.contacts.basic_api.get_by_id(dana_id(hs), properties=["hubspot_owner_id"])
    assert contact.properties["hubspot_owner_id"] in {o.id for o in owners}


# ---------------------------------------------------------------- writing


def test_unknown_and_read_only_properties_are_refused(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.update(
            contact_id, SimplePublicObjectInput(properties={"favourite_colour": "teal"})
        )
    assert info.value.status == 400
    assert body(info.value)["category"] == "VALIDATION_ERROR"
    assert body(info.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.update(
            contact_id, SimplePublicObjectInput(properties={"lastmodifieddate": "0"})
        )
    assert body(info.value)["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_update_keeps_lastmodifieddate_current(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    before = hs.crm.contacts.basic_api.get_by_id(contact_id)
    after = hs.crm.contacts.basic_api.update(
        contact_id,
        SimplePublicObjectInput(
            properties={"enrich_social_score": "61", "enrich_last_social_touch": "1767607200000"}
        ),
    )
    assert after.properties["enrich_social_score"] == "61"
    assert after.properties["enrich_last_social_touch"] == "2026-01-05T10:00:00.000Z"
    assert after.properties["lastmodifieddate"] > before.properties["lastmodifieddate"]
    assert after.updated_at > before.updated_at


def test_batch_update_answers_207_for_missing_ids(sandbox: Sandbox, hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    sandbox.reset_log()
    result = hs.crm.contacts.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": contact_id, "properties": {"enrich_social_score": "70"}},
                {"id": "999999999", "properties": {"enrich_social_score": "10"}},
            ]
        )
    )
    assert result.num_errors == 1
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["999999999"]}
    assert [r.properties["enrich_social_score"] for r in result.results] == ["70"]
    assert sandbox.requests_count("POST /crm/v3/objects/{object_type}/batch/update") == 1


def test_batches_take_at_most_100_inputs(hs: HubSpot) -> None:
    inputs = [{"id": str(i), "properties": {"enrich_social_score": "1"}} for i in range(101)]
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert info.value.status == 400


def test_batch_upsert_by_email_creates_and_updates(sandbox: Sandbox, hs: HubSpot) -> None:
    result = hs.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {"idProperty": "email", "id": DANA, "properties": {"enrich_social_score": "80"}},
                {
                    "idProperty": "email",
                    "id": "new.person@example.com",
                    "properties": {"firstname": "New", "enrich_social_score": "5"},
                },
            ]
        )
    )
    assert sorted((r.properties["email"], r.new) for r in result.results) == [
        (DANA, False),
        ("new.person@example.com", True),
    ]
    assert (
        sandbox.contact("new.person@example.com", crm="hubspot")["properties"]["firstname"] == "New"
    )


def test_unique_values_conflict_with_409(hs: HubSpot) -> None:
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": DANA, "firstname": "Copy"})
        )
    assert info.value.status == 409 and body(info.value)["category"] == "CONFLICT"


def test_properties_and_groups_are_created_once(hs: HubSpot) -> None:
    group = hs.crm.properties.groups_api.create(
        "contacts", PropertyGroupCreate(name="social", label="Social")
    )
    assert group.name == "social"
    spec = PropertyCreate(
        name="social_key",
        label="Social key",
        type="string",
        field_type="text",
        group_name="social",
        has_unique_value=True,
    )
    assert hs.crm.properties.core_api.create("contacts", spec).has_unique_value is True
    with pytest.raises(PropertiesError) as info:
        hs.crm.properties.core_api.create("contacts", spec)
    assert info.value.status == 409
    with pytest.raises(PropertiesError) as info:
        hs.crm.properties.groups_api.create(
            "contacts", PropertyGroupCreate(name="social", label="Social")
        )
    assert info.value.status == 409
    names = {p.name for p in hs.crm.properties.core_api.get_all("contacts").results}
    assert {"social_key", "enrich_social_score", "enrich_url"} <= names

    first = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "a@x.example", "social_key": "k1"})
    )
    with pytest.raises(ApiException) as conflict:
        hs.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(
                properties={"email": "b@x.example", "social_key": "K1"}
            )
        )
    assert conflict.value.status == 409
    upsert = hs.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[{"idProperty": "social_key", "id": "k1", "properties": {"firstname": "A"}}]
        )
    )
    assert upsert.results[0].id == first.id and upsert.results[0].new is False


# ---------------------------------------------------------------- search


def search(hs: HubSpot, **kwargs: object) -> list[str]:
    found = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(properties=["email"], limit=200, **kwargs)
    )
    return sorted(r.properties["email"] for r in found.results)


def test_search_filter_groups_or_and_filters_and(hs: HubSpot) -> None:
    assert search(
        hs,
        filter_groups=[
            {
                "filters": [
                    {"propertyName": "country", "operator": "EQ", "value": "ireland"},
                    {"propertyName": "twitterhandle", "operator": "HAS_PROPERTY"},
                ]
            },
            {"filters": [{"propertyName": "email", "operator": "EQ", "value": DANA}]},
        ],
    ) == [DANA, "liam.gallagher@tailspintoys.example", "siobhan.obriain@tailspintoys.example"]
    assert search(
        hs,
        filter_groups=[
            {"filters": [{"propertyName": "city", "operator": "IN", "values": ["lyon", "zürich"]}]}
        ],
    ) == [
        "francois.lefevre@lumiere-analytique.example",
        "matheo.garcon@lumiere-analytique.example",
        "urs.braendli@alpineskihouse.example",
    ]
    assert search(
        hs,
        filter_groups=[
            {
                "filters": [
                    {
                        "propertyName": "email",
                        "operator": "CONTAINS_TOKEN",
                        "value": "*@adatum.example",
                    },
                    {"propertyName": "jobtitle", "operator": "NEQ", "value": "Finance Director"},
                ]
            }
        ],
    ) == [
        "fiona.macleod@adatum.example",
        "jon.ashworth@adatum.example",
        "priyanka.shah@adatum.example",
    ]


def test_search_by_modification_time_with_sorting_and_paging(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    newest = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            sorts=[{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], limit=1
        )
    )
    mark = newest.results[0].properties["lastmodifieddate"]
    hs.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"enrich_social_score": "12"})
    )
    assert search(
        hs,
        filter_groups=[
            {"filters": [{"propertyName": "lastmodifieddate", "operator": "GT", "value": mark}]}
        ],
    ) == [DANA]
    first = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=20))
    second = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(limit=20, after=first.paging.next.after)
    )
    assert first.total == 45 and len(second.results) == 20
    assert not {r.id for r in first.results} & {r.id for r in second.results}


def test_search_limits(hs: HubSpot) -> None:
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=201))
    assert info.value.status == 400
    too_many = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6
    with pytest.raises(ApiException):
        hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(filter_groups=too_many))


# ---------------------------------------------------------------- notes and associations


def test_a_note_is_associated_to_a_contact_with_type_202(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    note = hs.crm.objects.notes.basic_api.create(
        NoteInput(
            properties={
                "hs_timestamp": "2026-01-05T10:00:00Z",
                "hs_note_body": "Dana liked our post about supply chains",
            },
            associations=[
                {
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
                }
            ],
        )
    )
    edges = hs.crm.associations.v4.basic_api.get_page("contacts", contact_id, "notes")
    assert [
        (int(e.to_object_id), [t.type_id for t in e.association_types]) for e in edges.results
    ] == [(int(note.id), [201])]
    contact = hs.crm.contacts.basic_api.get_by_id(contact_id, associations=["notes"])
    assert contact.associations["notes"].results[0].id == note.id


def test_association_ids_are_directional_and_notes_need_a_timestamp(hs: HubSpot) -> None:
    contact_id = dana_id(hs)
    with pytest.raises(NotesError) as info:
        hs.crm.objects.notes.basic_api.create(
            NoteInput(
                properties={"hs_timestamp": "2026-01-05T10:00:00Z", "hs_note_body": "x"},
                associations=[
                    {
                        "to": {"id": contact_id},
                        "types": [
                            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 201}
                        ],
                    }
                ],
            )
        )
    assert info.value.status == 400
    with pytest.raises(NotesError) as info:
        hs.crm.objects.notes.basic_api.create(NoteInput(properties={"hs_note_body": "x"}))
    assert info.value.status == 400


def test_v4_associations_of_an_unknown_object_are_404(hs: HubSpot) -> None:
    with pytest.raises(AssociationsError) as info:
        hs.crm.associations.v4.basic_api.get_page("contacts", "424242", "notes")
    assert info.value.status == 404
