"""Fixtures for matcher specs: the shipped rules and a small CRM mirror."""

from __future__ import annotations

import pytest

from enrich.matching.profile import Person
from enrich.matching.rules import RuleSet, default_rules
from enrich.matching.scorer import Matcher


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return default_rules()


CRM = [
    Person(
        "robert-acme",
        "Robert",
        "Smith",
        email="rsmith@acme.com",
        company="Acme Inc.",
        city="New York",
        country="USA",
    ),
    Person(
        "robert-globex",
        "Robert",
        "Smith",
        email="robert.smith@globex.com",
        company="Globex Corporation",
        city="Chicago",
        country="USA",
    ),
    Person(
        "jane-initech",
        "Jane",
        "Doe",
        company="Initech LLC",
        city="Berlin",
        country="Germany",
        twitter_handle="@janed_real",
    ),
    Person("john-hooli", "John", "Miller", company="Hooli", city="London", country="UK"),
    Person("jon-hooli", "Jon", "Miller", company="Hooli", city="London", country="UK"),
    Person("dmitry", "Dmitry", "Ivanov", company="Umbrella Corp", city="Berlin"),
    Person("jose", "José", "García López", company="Contoso Ltd", city="Madrid", country="Spain"),
    Person(
        "ibm",
        "Priya",
        "Patel",
        company="International Business Machines",
        city="San Francisco",
        country="USA",
        email="ppatel@ibm.com",
    ),
    Person(
        "li",
        "Anna",
        "Kowalski",
        company="Fabrikam",
        city="Warsaw",
        linkedin_url="https://www.linkedin.com/in/anna-kowalski-42/",
    ),
]


@pytest.fixture(scope="session")
def matcher(rules: RuleSet) -> Matcher:
    return Matcher(rules, CRM)
