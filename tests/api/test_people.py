"""People search and one person's page, as JSON."""

from __future__ import annotations

from tests.api.conftest import Api, error


def test_search_finds_by_name_email_company_and_handle(viewer: Api, people: dict[str, int]) -> None:
    dana = people["dana.whitfield@northwind.example"]
    for q in ("whitfield", "northwind", "dana.whitfield@", "@danawhit"):
        ids = [r["id"] for r in viewer.get(f"/api/v1/people?q={q}").json["items"]]
        assert dana in ids, q
    assert viewer.get("/api/v1/people?q=nobody-like-this").json["items"] == []


def test_search_pages_with_a_cursor(viewer: Api, people: dict[str, int]) -> None:
    first = viewer.get("/api/v1/people?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = viewer.get(f"/api/v1/people?limit=2&cursor={first['next_cursor']}").json
    assert {r["id"] for r in first["items"]}.isdisjoint(r["id"] for r in second["items"])
    seen, cursor = [], None
    while True:
        page = viewer.get("/api/v1/people?limit=4" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(people.values())


def test_bad_paging_and_filters_are_400(viewer: Api) -> None:
    assert error(viewer.get("/api/v1/people?limit=0"))[0] == 400
    assert error(viewer.get("/api/v1/people?limit=abc"))[0] == 400
    assert error(viewer.get("/api/v1/people?cursor=-1"))[0] == 400
    assert error(viewer.get("/api/v1/people?object_type=account"))[0] == 400


def test_a_person_has_profiles_touchpoints_and_score(viewer: Api, people: dict[str, int]) -> None:
    dana = people["dana.whitfield@northwind.example"]
    body = viewer.get(f"/api/v1/people/{dana}").json
    assert body["record"]["email"] == "dana.whitfield@northwind.example"
    assert [link["profile"]["handle"] for link in body["links"]] == ["danawhit"]
    assert body["links"][0]["status"] == "auto"
    assert [t["kind"] for t in body["touchpoints"]] == ["comment"]
    assert body["score"]["score"] > 0
    assert body["sync_pending"] is not None  # the record waits for the sync worker


def test_an_unknown_person_is_404(viewer: Api) -> None:
    assert error(viewer.get("/api/v1/people/999999")) == (404, "not_found")
