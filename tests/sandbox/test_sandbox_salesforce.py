"""The Salesforce side, driven only through the real simple-salesforce client."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from enrich.sandbox import Sandbox
from tests.sandbox.conftest import salesforce_client

DANA = "dana.whitfield@northwind.example"


def dana(sf: Salesforce) -> dict[str, Any]:
    result = sf.query(f"SELECT Id, SystemModstamp FROM Contact WHERE Email = '{DANA}'")
    assert result["totalSize"] == 1
    return dict(result["records"][0])


def new_contacts(sf: Salesforce, n: int, prefix: str = "bulk") -> list[str]:
    ids: list[str] = []
    for start in range(0, n, 200):
        records = [
            {
                "attributes": {"type": "Contact"},
                "LastName": f"{prefix}{i:04d}",
                "Email": f"{prefix}{i}@paging.example",
            }
            for i in range(start, min(n, start + 200))
        ]
        results = sf.restful(
            "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
        )
        assert all(r["success"] for r in results)
        ids += [r["id"] for r in results]
    return ids


# ---------------------------------------------------------------- sessions and limits


def test_a_wrong_session_id_is_refused_with_a_json_list_body(sandbox: Sandbox) -> None:
    sf = salesforce_client(sandbox, session_id="00Dbogus!session")
    with pytest.raises(SalesforceExpiredSession) as info:
        sf.query("SELECT Id FROM Contact")
    assert info.value.status == 401
    assert info.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_every_answer_reports_api_usage_and_the_daily_allocation_is_enforced(
    sandbox: Sandbox, sf: Salesforce
) -> None:
    sandbox.set_limits(sf_daily=3)
    sf.query("SELECT Id FROM Contact LIMIT 1")
    assert sf.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].total == 3
    assert sf.limits()["DailyApiRequests"] == {"Max": 3, "Remaining": 1}
    sf.query("SELECT Id FROM Contact LIMIT 1")
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT Id FROM Contact LIMIT 1")
    assert info.value.status == 403
    assert info.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    sandbox.reset_usage()
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 40


# ---------------------------------------------------------------- SOQL


def test_query_all_follows_next_records_url_in_batches(sandbox: Sandbox, sf: Salesforce) -> None:
    new_contacts(sf, 260)
    sandbox.reset_log()
    first = sf.query(
        "SELECT Id, LastName FROM Contact ORDER BY LastName",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    assert (first["totalSize"], first["done"], len(first["records"])) == (300, False, 200)
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    everything = sf.query_all(
        "SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert len(everything["records"]) == 300
    assert len({r["Id"] for r in everything["records"]}) == 300
    assert sandbox.requests_count("GET query") == 2
    assert sandbox.requests_count("GET query/{locator}") == 1


def test_default_batch_is_2000_records(sf: Salesforce) -> None:
    new_contacts(sf, 10)
    assert sf.query("SELECT Id FROM Contact")["done"] is True


def test_where_clauses_filter_like_salesforce(sf: Salesforce) -> None:
    def emails(where: str) -> set[str]:
        return {
            r["Email"] for r in sf.query_all(f"SELECT Email FROM Contact WHERE {where}")["records"]
        }

    assert emails("email = 'DANA.WHITFIELD@northwind.example'") == {DANA}  # case-insensitive
    assert emails("MailingCountry = 'Ireland' AND NOT Title LIKE '%Marketing%'") == {
        "siobhan.obriain@tailspintoys.example",
        "liam.gallagher@tailspintoys.example",
    }
    assert (
        len(emails("MailingCountry IN ('France', 'Switzerland') OR MailingCity = 'Seattle'"))
        == 4 + 2 + 5
    )
    assert emails("FirstName = 'Zoë'") == {"zoe.mueller@proseware.example"}
    assert len(emails("CreatedDate > 2020-01-01T00:00:00Z")) == 40
    assert emails("Account.Name = 'Alpine Ski House' AND X_Handle__c != null") == {
        "celine.rochat@alpineskihouse.example"
    }
    assert emails(
        "MailingCountry NOT IN ('United States', 'Germany', 'Netherlands', "
        "'United Kingdom', 'France', 'Ireland', 'Switzerland', 'Mexico')"
    ) == {"soren.kjaer@northwind.example"}


def test_order_limit_offset_and_count(sf: Salesforce) -> None:
    page = sf.query(
        "SELECT LastName FROM Contact WHERE MailingCountry = 'Germany' "
        "ORDER BY LastName DESC LIMIT 2 OFFSET 1"
    )["records"]
    assert [r["LastName"] for r in page] == ["Schäfer", "Müller"]
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 5
    assert sf.query("SELECT COUNT() FROM Opportunity WHERE Amount >= 36000")["totalSize"] == 3


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Contact WHERE CreatedDate > '2026-01-01T00:00:00Z'", "INVALID_FIELD"),
        ("SELECT Nope__c FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Nothing", "INVALID_TYPE"),
        ("SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:7", "MALFORMED_QUERY"),
    ],
)
def test_bad_queries_get_400_with_an_error_code(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(soql)
    assert info.value.content[0]["errorCode"] == code


# ---------------------------------------------------------------- single records


def test_update_answers_204_and_bumps_the_modstamp(sf: Salesforce) -> None:
    before = dana(sf)
    latest = sf.query("SELECT SystemModstamp FROM Contact ORDER BY SystemModstamp DESC LIMIT 1")[
        "records"
    ][0]["SystemModstamp"]
    assert (
        sf.Contact.update(
            before["Id"], {"Social_Score__c": 61, "Last_Social_Touch__c": "2026-01-05T10:00:00Z"}
        )
        == 204
    )
    record = sf.Contact.get(before["Id"])
    assert record["Social_Score__c"] == 61
    assert record["Last_Social_Touch__c"] == "2026-01-05T10:00:00.000+0000"
    assert record["SystemModstamp"] > before["SystemModstamp"]
    changed = sf.query(f"SELECT Id FROM Contact WHERE SystemModstamp > {latest}")
    assert [r["Id"] for r in changed["records"]] == [before["Id"]]


def test_writes_to_unknown_or_read_only_fields_are_refused(sf: Salesforce) -> None:
    contact_id = dana(sf)["Id"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.update(contact_id, {"Favourite_Colour__c": "teal"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.update(contact_id, {"SystemModstamp": "2020-01-01T00:00:00Z"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.update(contact_id, {"Social_Score__c": "high"})
    assert info.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_tasks_need_a_real_who_and_a_unique_touchpoint_id(sf: Salesforce) -> None:
    contact_id = dana(sf)["Id"]
    created = sf.Task.create(
        {"WhoId": contact_id, "Subject": "Liked a post", "Enrich_Touchpoint_Id__c": "tp-1"}
    )
    assert created["success"] is True and created["id"].startswith("00T")
    assert len(created["id"]) == 18
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"WhoId": contact_id, "Subject": "again", "Enrich_Touchpoint_Id__c": "tp-1"})
    assert info.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"WhoId": created["id"], "Subject": "Who is a task?"})
    assert info.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.create({"FirstName": "No", "Email": "no-last-name@example.com"})
    assert info.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_upsert_by_external_id_creates_then_updates(sf: Salesforce) -> None:
    contact_id = dana(sf)["Id"]
    body = {"WhoId": contact_id, "Subject": "Commented", "Status": "Completed"}
    response = sf.Task.upsert("Enrich_Touchpoint_Id__c/tp-42", body, raw_response=True)
    assert response.status_code == 201 and response.json()["created"] is True
    response = sf.Task.upsert(
        "Enrich_Touchpoint_Id__c/tp-42", {**body, "Subject": "Edited"}, raw_response=True
    )
    assert response.status_code == 200 and response.json()["created"] is False
    task = sf.Task.get_by_custom_id("Enrich_Touchpoint_Id__c", "tp-42")
    assert task["Subject"] == "Edited" and task["WhoId"] == contact_id


@pytest.mark.parametrize(
    "seed",
    [
        {
            "accounts": [{"key": "a", "name": "Acme"}],
            "contacts": [
                {
                    "first_name": "Pat",
                    "last_name": "One",
                    "email": "pat@acme.example",
                    "account": "a",
                },
                {
                    "first_name": "Pat",
                    "last_name": "Two",
                    "email": "pat@acme.example",
                    "account": "a",
                },
            ],
        }
    ],
)
def test_an_external_id_matching_two_records_answers_300(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMoreThanOneRecord) as info:
        sf.Contact.get_by_custom_id("Email", "pat@acme.example")
    assert info.value.status == 300 and len(info.value.content) == 2
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Contact.upsert("Email/pat@acme.example", {"Title": "CEO"})


def test_deleted_records_leave_query_but_stay_in_query_all(sf: Salesforce) -> None:
    contact_id = dana(sf)["Id"]
    assert sf.Contact.delete(contact_id) == 204
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{contact_id}'"
    assert sf.query(soql)["totalSize"] == 0
    assert sf.query_all(soql, include_deleted=True)["records"][0]["IsDeleted"] is True
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(contact_id)


# ---------------------------------------------------------------- collections


def test_collection_update_reports_each_record(sandbox: Sandbox, sf: Salesforce) -> None:
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 3")["records"]]
    records = [{"attributes": {"type": "Contact"}, "id": i, "Social_Score__c": 70} for i in ids]
    records[1]["Social_Score__c"] = "not a number"
    sandbox.reset_log()
    results = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "JSON_PARSER_ERROR"
    assert sandbox.sf_record("Contact", ids[0])["Social_Score__c"] == 70
    assert sandbox.requests_count("PATCH composite/sobjects") == 1


def test_all_or_none_rolls_everything_back(sandbox: Sandbox, sf: Salesforce) -> None:
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 2")["records"]]
    records = [
        {"attributes": {"type": "Contact"}, "id": ids[0], "Social_Score__c": 90},
        {"attributes": {"type": "Contact"}, "id": ids[1], "Nope__c": 1},
    ]
    results = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": True, "records": records}
    )
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert sandbox.sf_record("Contact", ids[0])["Social_Score__c"] is None


def test_collections_take_at_most_200_records(sf: Salesforce) -> None:
    records = [{"attributes": {"type": "Contact"}, "LastName": f"x{i}"} for i in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_collection_delete_by_ids(sandbox: Sandbox, sf: Salesforce) -> None:
    ids = new_contacts(sf, 3)
    results = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"}
    )
    assert all(r["success"] for r in results)
    assert sandbox.sf_records("Contact", LastName="bulk0001") == []


def test_upsert_collection_creates_updates_and_flags_duplicates(sf: Salesforce) -> None:
    who = dana(sf)["Id"]

    def task(ext: str, subject: str) -> dict[str, Any]:
        return {
            "attributes": {"type": "Task"},
            "Enrich_Touchpoint_Id__c": ext,
            "WhoId": who,
            "Subject": subject,
        }

    first = sf.restful(
        "composite/sobjects/Task/Enrich_Touchpoint_Id__c",
        method="PATCH",
        json={"allOrNone": False, "records": [task("a", "A"), task("b", "B")]},
    )
    assert [(r["success"], r["created"]) for r in first] == [(True, True), (True, True)]
    second = sf.restful(
        "composite/sobjects/Task/Enrich_Touchpoint_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [task("a", "A2"), task("c", "C"), task("c", "C again")],
        },
    )
    assert [(r["success"], r["created"]) for r in second] == [
        (True, False),
        (False, False),
        (False, False),
    ]
    assert second[1]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert sf.Task.get_by_custom_id("Enrich_Touchpoint_Id__c", "a")["Subject"] == "A2"


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize("seed", [{"contacts": [{"last_name": "Plain"}]}])
def test_custom_fields_are_created_through_the_tooling_api(sf: Salesforce) -> None:
    contact_id = sf.query("SELECT Id FROM Contact")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.update(contact_id, {"Social_Score__c": 5})
    created = sf.toolingexecute(
        "sobjects/CustomField/",
        method="POST",
        data={
            "FullName": "Contact.Social_Score__c",
            "Metadata": {"type": "Number", "label": "Social score", "precision": 5, "scale": 0},
        },
    )
    assert created["success"] is True and created["id"].startswith("00N")
    assert sf.Contact.update(contact_id, {"Social_Score__c": 5}) == 204
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert fields["Social_Score__c"]["type"] == "double"
    assert fields["Social_Score__c"]["custom"] is True
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.toolingexecute(
            "sobjects/CustomField/",
            method="POST",
            data={"FullName": "Contact.Social_Score__c", "Metadata": {"type": "Number"}},
        )
    assert info.value.content[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


def test_the_enrich_fields_seed_flag_declares_enrich_fields(sf: Salesforce) -> None:
    task_fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert task_fields["Enrich_Touchpoint_Id__c"]["externalId"] is True
    assert task_fields["Enrich_Touchpoint_Id__c"]["unique"] is True
    account_fields = {f["name"] for f in sf.Account.describe()["fields"]}
    assert {"Social_Account_Score__c", "Social_Engaged_People__c"} <= account_fields


# ---------------------------------------------------------------- faults


def test_injected_throttling_uses_salesforce_s_own_answer(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.set_faults("salesforce", fail_next=1, fail_with="429")
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT Id FROM Contact")
    assert info.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 40


def test_injected_503_and_expired_session(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.set_faults("salesforce", rate_503=1.0)
    with pytest.raises(SalesforceGeneralError) as info:
        sf.query("SELECT Id FROM Contact")
    assert info.value.status == 503
    sandbox.set_faults("salesforce", rate_503=0.0, rate_401=1.0)
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()
    sandbox.clear_faults()
    assert sf.limits()["DailyApiRequests"]["Max"] == 100_000


def test_random_faults_replay_with_the_same_seed(sandbox: Sandbox, sf: Salesforce) -> None:
    def outcomes() -> list[bool]:
        sandbox.set_faults("salesforce", rate_503=0.5, seed=1234)
        seen = []
        for _ in range(12):
            try:
                sf.limits()
                seen.append(True)
            except SalesforceGeneralError:
                seen.append(False)
        return seen

    first = outcomes()
    assert set(first) == {True, False}  # some calls failed, some did not
    assert outcomes() == first


# ---------------------------------------------------------------- Bulk API 2.0


def test_bulk_update_job_reports_failed_rows(sf: Salesforce) -> None:
    ids = new_contacts(sf, 3)
    result = sf.bulk2.Contact.update(
        records=[
            {"Id": ids[0], "Title": "CEO"},
            {"Id": ids[1], "Title": "CTO"},
            {"Id": "003Dn0000000ZZZZZZ", "Title": "Ghost"},
        ],
        wait=0.01,
    )
    assert result[0]["numberRecordsProcessed"] == 3
    assert result[0]["numberRecordsFailed"] == 1
    failed = sf.bulk2.Contact.get_failed_records(result[0]["job_id"])
    assert "INVALID_CROSS_REFERENCE_KEY" in failed
    assert sf.Contact.get(ids[0])["Title"] == "CEO"
