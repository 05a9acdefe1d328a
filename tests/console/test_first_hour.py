"""The newcomer's first hour, in a real browser against a real `enrich demo` (what `make run`
starts): sign in with what the demo printed, see a week of data on the dashboard, decide three
review items, replay the dead letter, and watch the sandbox CRM change. On the way, the
console reads like a product: human times, one score everywhere, a colour per kind, enrich's own
API budget, amounts with currency, scoring rules by name."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.format import format_soql

from tests.conftest import wait_until
from tests.console.conftest import DESKTOP
from tests.servers import free_port
from tests.test_demo import clean_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Demo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        ports = [free_port() for _ in range(3)]
        self.base = f"http://127.0.0.1:{ports[0]}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "enrich",
                "demo",
                "--port",
                str(ports[0]),
                "--salesforce-port",
                str(ports[1]),
                "--hubspot-port",
                str(ports[2]),
            ],
            cwd=folder,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(
            target=lambda: self.lines.extend(self.proc.stdout),
            daemon=True,
        ).start()
        wait_until(
            lambda: (
                any("Ctrl-C stops" in line for line in self.lines) or self.proc.poll() is not None
            ),
            timeout=240,
            interval=0.2,
        )
        self.output = "".join(self.lines)
        assert "Ctrl-C stops" in self.output, self.output
        [self.email] = re.findall(r"email     (\S+)", self.output)
        [self.password] = re.findall(r"password  (\S+)", self.output)

    def env(self) -> dict[str, str]:
        """var/demo.env, as `set -a; . var/demo.env` reads it in a second terminal."""
        pairs = (
            line.split("=", 1)
            for line in (self.folder / "var/demo.env").read_text().splitlines()
            if "=" in line
        )
        return {k: shlex.split(v)[0] for k, v in pairs}

    def crm_contact(self, email: str) -> dict[str, Any]:
        env = self.env()
        session = requests.Session()
        session.verify = env["SALESFORCE_CA_BUNDLE"]  # the sandbox's own CA, as enrich trusts it
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would override it
        sf = Salesforce(
            instance_url=env["SALESFORCE_INSTANCE_URL"],
            session_id=env["SALESFORCE_SESSION_ID"],
            session=session,
        )
        rows = sf.query(
            format_soql(
                "SELECT Id, Social_Score__c, Last_Social_Touch_Summary__c "
                "FROM Contact WHERE Email = {}",
                email,
            )
        )["records"]
        return dict(rows[0]) if rows else {}

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = Demo(tmp_path_factory.mktemp("first-hour"))
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def page(demo: Demo, browser: Any) -> Iterator[Any]:
    """One browser tab for the whole walk, as a newcomer keeps theirs."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def test_the_login_page_says_how_to_get_an_account_and_the_printed_one_works(
    demo: Demo, page: Any
) -> None:
    page.goto(demo.base + "/")
    assert page.url.startswith(demo.base + "/login")
    hint = page.locator("[data-dev-hint]").inner_text()
    assert "enrich users create" in hint and "var/demo-password" in hint
    page.fill("input[name=email]", demo.email)
    page.fill("input[name=password]", demo.password)
    page.click("button[type=submit]")
    page.wait_for_url(demo.base + "/")


def test_the_dashboard_shows_a_week_of_data(demo: Demo, page: Any) -> None:
    page.goto(demo.base + "/?days=7")
    charts = page.locator("svg.chart.days")
    titles = charts.nth(0).locator("rect title").evaluate_all("els => els.map(e => e.textContent)")
    days = {t.split(" · ")[0] for t in titles}
    assert len(days) >= 6, titles  # touchpoints on (almost) every day of the week
    platforms = {t.split(" · ")[1].split(":")[0] for t in titles}
    assert {"linkedin", "x", "facebook", "instagram"} <= platforms
    # every kind its own colour (kinds used to share five colours)
    fills = (
        page.locator("ul.legend")
        .nth(1)
        .locator("rect")
        .evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    )
    assert len(fills) >= 6 and len(set(fills)) == len(fills)
    tiles = page.locator(".tiles").inner_text()
    assert re.search(r"\b([3-9]|\d\d+)\s+waiting for review", tiles), tiles
    assert re.search(r"\b[1-9]\d*\s+dead letters", tiles), tiles
    assert re.search(r"\b[1-9]\d*\s+hand-offs this week", tiles), tiles
    budget = page.locator("[data-budget]").first.inner_text()
    assert "of enrich's daily budget of 10,000" in budget, budget
    accounts = page.locator("text=Most engaged accounts").locator("..").inner_text()
    assert "$120,000" in accounts or "$48,000" in accounts, accounts  # currency formatting
    assert "T" not in page.locator("dl.facts").inner_text().replace("Tasks", "")


def test_a_person_reads_like_a_product(demo: Demo, page: Any) -> None:
    page.goto(demo.base + "/people?q=Satya")
    people_score = page.locator("table td.n").first.inner_text()
    page.click("text=Satya Iyer")
    score = page.locator("p.big").inner_text()
    assert score == people_score and "." not in score  # one score, as the CRM shows it
    crm = demo.crm_contact("satya.iyer@contoso.example")
    assert float(crm["Social_Score__c"]) == float(score)
    text = page.locator("main").inner_text()
    assert "points." not in text and "fit." not in text  # rules by name, not by key
    assert "C-level title" in text and "comments" in text
    # no raw timestamps outside the values written to the CRM (shown exactly as written)
    shown = page.locator("main section").filter(has_not_text="Written to the CRM").all_inner_texts()
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", " ".join(shown))
    assert re.search(r"today \d\d:\d\d|yesterday \d\d:\d\d", text)
    assert page.locator("time[title$='UTC']").count() > 3


def test_the_newcomer_decides_three_reviews_replays_the_dead_letter_and_the_crm_changes(
    demo: Demo, page: Any
) -> None:
    confirmed = []
    for _ in range(3):
        page.goto(demo.base + "/review")
        did = page.locator("[data-did]").inner_text()
        assert "like" in did  # the card says what the profile did
        card = page.locator("article.candidate.current")
        confirmed.append(card.locator("h2").inner_text())
        card.locator("button[data-action=confirm]").click()
        page.wait_for_load_state()
    assert len(set(confirmed)) == 3
    before = demo.crm_contact("dana.whitfield@northwind.example")
    assert "whitepaper" not in (before.get("Last_Social_Touch_Summary__c") or "")
    page.goto(demo.base + "/sync")
    page.locator("table.letters button", has_text="Replay").first.click()
    page.wait_for_load_state()
    assert "replayed" in page.locator("table.letters").inner_text().lower()
    after = wait_until(
        lambda: (
            (c := demo.crm_contact("dana.whitfield@northwind.example"))
            and "whitepaper" in (c.get("Last_Social_Touch_Summary__c") or "")
            and c
        ),
        timeout=60,
        interval=1,
    )
    assert after["Last_Social_Touch_Summary__c"].startswith("Sent you a direct message")
