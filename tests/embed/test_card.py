"""The card's content, read through the CRMs' routes with correctly signed requests: what a
sales rep sees on a contact, a lead, an account and a record enrich knows nothing about."""

from __future__ import annotations

from typing import Any

from tests.embed.conftest import (
    HS_COMPANY,
    HS_CONTACT,
    SF_ACCOUNT,
    SF_CONTACT,
    SF_LEAD,
    SF_QUIET,
    Crm,
)


def card(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_a_contact_card_shows_score_trend_reasons_touchpoints_and_profiles(
    crm: Crm, world: dict[str, int]
) -> None:
    data = card(crm.salesforce("card", SF_CONTACT))

    assert data["kind"] == "contact" and not data["empty"]
    assert data["record"]["name"] == "Dana Whitfield"
    score = data["score"]
    assert score["value"] > 0 and 1 <= len(score["reasons"]) <= 3
    trend = [p["score"] for p in score["trend"]["points"]]
    assert len(trend) == 14  # 13 weekly points over 90 days, then now
    # Before the share 45 days ago only the title's fit points count; each touchpoint raises it.
    assert len(set(trend[:6])) == 1 and trend[6] > trend[5]
    assert trend[-1] == max(trend) and score["trend"]["change"] == trend[-1] - trend[0]
    assert abs(trend[-1] - score["value"]) <= 1  # the trend ends where the CRM field is

    kinds = [t["kind"] for t in data["touchpoints"]]
    assert kinds == ["comment", "like", "share"]  # newest first
    comment, like, _ = data["touchpoints"]
    assert comment["excerpt"].startswith("How does your zero trust rollout")
    assert comment["post_url"] == "https://www.linkedin.com/feed/update/urn:li:activity:1"
    assert like["post_url"] is None  # a javascript: link is never handed to the CRM

    [profile] = data["profiles"]
    assert (profile["platform"], profile["handle"], profile["status"]) == (
        "linkedin",
        "danaw",
        "auto",
    )
    assert profile["link_id"] > 0
    assert data["why"] == profile["evidence"] and "mail" in data["why"].lower()


def test_a_lead_card(crm: Crm, world: dict[str, int]) -> None:
    data = card(crm.salesforce("card", SF_LEAD))

    assert data["kind"] == "lead" and data["record"]["name"] == "Priya Natarajan"
    assert [t["kind"] for t in data["touchpoints"]] == ["comment"]
    assert data["score"]["value"] > 0
    assert any("security" in i["topic"].lower() for i in data["interests"])


def test_an_account_card_rolls_up_its_people(crm: Crm, world: dict[str, int]) -> None:
    data = card(crm.salesforce("card", SF_ACCOUNT))

    assert data["kind"] == "account" and data["record"]["name"] == "Northwind Traders"
    assert data["score"]["value"] > 0
    assert [(p["name"], p["title"]) for p in data["engaged_people"]] == [
        ("Dana Whitfield", "VP Operations")
    ]
    weeks = data["touchpoints_by_week"]
    assert len(weeks) == 13 and sum(w["count"] for w in weeks) == 3
    assert len({w["week_ending"] for w in weeks}) == 13
    assert weeks[-1]["count"] == 1  # this week's comment
    [opportunity] = data["opportunities"]  # the closed one is left out
    assert opportunity["name"] == "Northwind renewal" and opportunity["stage"] == "Negotiation"
    assert opportunity["last_touch_by"] == "Dana Whitfield" and opportunity["touches"] == 3


def test_hubspot_contact_and_company_cards(crm: Crm, world: dict[str, int]) -> None:
    contact = card(crm.hubspot("card", "0-1", HS_CONTACT))
    company = card(crm.hubspot("card", "0-2", HS_COMPANY))

    assert contact["record"]["name"] == "Hank Hill" and contact["touchpoints"][0]["platform"] == "x"
    assert company["kind"] == "account" and company["engaged_people"][0]["name"] == "Hank Hill"


def test_unknown_and_quiet_records_say_no_social_activity_yet(
    crm: Crm, world: dict[str, int]
) -> None:
    unknown = card(crm.salesforce("card", "003000000000777AAA"))
    quiet = card(crm.salesforce("card", SF_QUIET))
    hubspot_unknown = card(crm.hubspot("card", "0-1", "99999"))

    for data in (unknown, quiet, hubspot_unknown):
        assert data["empty"] is True and data["message"] == "No social activity yet"
    assert quiet["record"]["name"] == "Quinn Quiet"
    assert unknown["record"] == {"crm": "salesforce", "crm_id": "003000000000777AAA"}


def test_a_record_of_the_other_crm_is_unknown(crm: Crm, world: dict[str, int]) -> None:
    # Hank is a HubSpot contact; the same id through Salesforce's route names nobody.
    assert card(crm.hubspot("card", "0-2", HS_CONTACT))["empty"] is True
