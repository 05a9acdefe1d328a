"""The calibration report: what the pairs people decided say about the match scores."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine

from enrich.models import LinkStatus
from tests.api.conftest import Api, error
from tests.console import seed

URL = "/api/v1/rules/match/calibration"
CURRENT = "social-default-7"  # the shipped rules: review 2.0, link 7.5
REVIEWER = seed.REVIEWER_CHOSEN


def seed_links(engine: Engine, record_id: int) -> None:
    C, R, P = LinkStatus.CONFIRMED, LinkStatus.REJECTED, LinkStatus.PENDING
    rita = "rita@example.com"
    seed.decided_links(
        engine,
        record_id,
        [
            (1.0, R, CURRENT, rita, None),
            (2.5, R, CURRENT, rita, None),
            (2.9, R, CURRENT, rita, None),
            (4.0, C, CURRENT, rita, None),
            (4.2, C, CURRENT, rita, None),
            (4.8, R, CURRENT, rita, None),
            (6.0, C, CURRENT, rita, None),
            (6.5, C, CURRENT, rita, None),
            (8.0, R, CURRENT, rita, None),  # an auto link someone undid
            (9.1, C, CURRENT, rita, None),
            # Not reviewer evidence: the matcher's own links, and links a reviewer made by hand.
            (9.0, LinkStatus.AUTO, CURRENT, "matcher", None),
            (0.0, C, None, rita, REVIEWER),
            (0.0, C, None, rita, []),
            (0.0, C, CURRENT, rita, REVIEWER),
            # The review queue now, and the decisions under an older rules version.
            (3.0, P, CURRENT, "matcher", None),
            (5.5, P, CURRENT, "matcher", None),
            (7.0, P, CURRENT, "matcher", None),
            (5.5, C, "old-1", rita, None),
            (6.0, P, "old-1", "matcher", None),
        ],
    )


def by_label(report: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {b["label"]: (b["decided"], b["confirmed"], b["rejected"]) for b in report["bins"]}


def test_decided_pairs_by_score_bin_with_wilson_intervals(
    viewer: Api, engine: Engine, people: dict[str, int]
) -> None:
    seed_links(engine, people["rokafor@contoso.example"])
    answer = viewer.get(URL)
    assert answer.status_code == 200
    report = answer.json
    assert report["rules_version"] == CURRENT and report["stored_version"] == "default"
    assert report["active"] is True
    assert report["thresholds"] == {"link": 7.5, "review": 2.0}
    assert (report["decided"], report["confirmed"], report["rejected"]) == (10, 5, 5)
    assert report["pending"] == 3
    assert by_label(report) == {
        "< 2": (1, 0, 1),
        "2–3": (2, 0, 2),
        "3–4": (0, 0, 0),
        "4–5": (3, 2, 1),
        "5–6": (0, 0, 0),
        "6–7": (2, 2, 0),
        "7–7.5": (0, 0, 0),
        "≥ 7.5": (2, 1, 1),
    }
    bins = {b["label"]: b for b in report["bins"]}
    assert bins["3–4"]["confirm_rate"] is None and bins["3–4"]["ci95"] is None
    assert bins["2–3"]["confirm_rate"] == 0.0 and bins["6–7"]["confirm_rate"] == 1.0
    assert (bins["4–5"]["from"], bins["4–5"]["to"]) == (4.0, 5.0)
    assert bins["< 2"]["from"] is None and bins["≥ 7.5"]["to"] is None

    # Wilson score interval of 2 confirmed out of 3, by hand.
    z, n, p = 1.959964, 3, 2 / 3
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert bins["4–5"]["confirm_rate"] == round(p, 3)
    assert bins["4–5"]["ci95"] == [round(centre - half, 3), round(centre + half, 3)]
    assert bins["4–5"]["ci95"] == [0.208, 0.939]
    assert "biased sample" in report["caveat"]


def test_what_if_the_link_threshold_were_at_each_bin_edge(
    viewer: Api, engine: Engine, people: dict[str, int]
) -> None:
    seed_links(engine, people["rokafor@contoso.example"])
    what_if = {w["link_threshold"]: w for w in viewer.get(URL).json["what_if"]}
    assert list(what_if) == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.5]
    assert {
        t: (w["decided"], w["confirmed"], w["pending_would_link"]) for t, w in what_if.items()
    } == {
        2.0: (9, 5, 3),
        3.0: (7, 5, 3),
        4.0: (7, 5, 2),
        5.0: (4, 3, 2),
        6.0: (4, 3, 1),
        7.0: (2, 1, 1),
        7.5: (2, 1, 0),
    }
    assert what_if[5.0]["confirm_rate"] == 0.75
    assert [t for t, w in what_if.items() if w["current"]] == [7.5]


def test_another_version_or_all_of_them(
    revops: Api, viewer: Api, engine: Engine, people: dict[str, int]
) -> None:
    seed_links(engine, people["rokafor@contoso.example"])
    text = revops.get("/api/v1/rules/match").json["active"]["body"]
    old = text.replace(f"version: {CURRENT}", "version: old-1").replace("link: 7.5", "link: 9")
    saved = revops.post("/api/v1/rules/match/versions", {"body": old, "activate": False})
    assert saved.status_code == 201 and saved.json["version"] == "1"

    for version in ("1", "old-1"):
        report = viewer.get(URL, query_string={"version": version}).json
        assert report["rules_version"] == "old-1" and report["stored_version"] == "1"
        assert report["active"] is False
        assert report["thresholds"] == {"link": 9.0, "review": 2.0}
        assert (report["decided"], report["confirmed"], report["pending"]) == (1, 1, 1)
        assert by_label(report)["5–6"] == (1, 1, 0)
        assert [w["link_threshold"] for w in report["what_if"]][-2:] == [8.0, 9.0]

    everything = viewer.get(URL, query_string={"version": "all"}).json
    assert everything["rules_version"] == "all"
    assert everything["thresholds"] == {"link": 7.5, "review": 2.0}  # the active ones
    # Hand-made links (no matcher contribution) stay out even without a version filter.
    assert (everything["decided"], everything["confirmed"], everything["pending"]) == (11, 6, 4)
    assert by_label(everything)["5–6"] == (1, 1, 0)

    default = viewer.get(URL, query_string={"version": "default"}).json
    assert default["rules_version"] == CURRENT and default["decided"] == 10


def test_nothing_decided_yet_is_an_empty_report(viewer: Api) -> None:
    report = viewer.get(URL).json
    assert report["decided"] == 0 and report["pending"] == 0
    assert all(b["decided"] == 0 and b["ci95"] is None for b in report["bins"])
    assert all(w["confirm_rate"] is None for w in report["what_if"])


def test_bad_and_unknown_versions_and_who_may_read(viewer: Api, client: Any) -> None:
    for bad in ("", "x" * 65, "v\t1", "   "):
        assert error(viewer.get(URL, query_string={"version": bad})) == (400, "bad_request"), bad
    for unknown in ("99", "no-such-rules"):
        assert error(viewer.get(URL, query_string={"version": unknown})) == (404, "not_found")
    assert error(viewer.get(URL, token=None)) == (401, "unauthorized")
