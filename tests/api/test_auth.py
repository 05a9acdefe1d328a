"""Who may call the API: bearer tokens by role and scope, the console session with CSRF."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.api.conftest import Api, error
from tests.console import seed


def test_no_token_is_401(client: FlaskClient) -> None:
    assert error(client.get("/api/v1/people")) == (401, "unauthorized")


def test_a_wrong_token_is_401(admin: Api) -> None:
    assert error(admin.get("/api/v1/people", token="enr_not-a-real-token")) == (
        401,
        "invalid_token",
    )


def test_a_malformed_authorization_header_is_401(client: FlaskClient) -> None:
    answer = client.get("/api/v1/people", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert error(answer) == (401, "unauthorized")


def test_a_revoked_token_is_401(admin: Api, engine: Engine) -> None:
    secret = seed.token(engine, "viewer")
    assert admin.get("/api/v1/people", token=secret).status_code == 200
    [row] = [t for t in admin.get("/api/v1/tokens").json["items"] if t["prefix"] == secret[:12]]
    assert admin.call("DELETE", f"/api/v1/tokens/{row['id']}").status_code == 200
    assert error(admin.get("/api/v1/people", token=secret)) == (401, "invalid_token")


def test_a_viewer_reads_but_may_not_decide(viewer: Api, pending: list[int]) -> None:
    assert viewer.get("/api/v1/review").status_code == 200
    link_id = viewer.get("/api/v1/review").json["items"][0]["candidates"][0]["id"]
    assert error(viewer.post(f"/api/v1/review/{link_id}/confirm")) == (403, "forbidden")


def test_only_admins_manage_tokens(revops: Api) -> None:
    assert error(revops.get("/api/v1/tokens")) == (403, "forbidden")
    assert error(revops.post("/api/v1/tokens", {"name": "x", "role": "admin"})) == (
        403,
        "forbidden",
    )


def test_a_scoped_token_reaches_only_its_scopes(admin: Api, engine: Engine) -> None:
    secret = seed.token(engine, "admin", scopes=["people"])
    assert admin.get("/api/v1/people", token=secret).status_code == 200
    assert error(admin.get("/api/v1/deadletters", token=secret)) == (403, "forbidden")


def test_the_admin_token_from_settings_is_an_admin(client: FlaskClient, app: object) -> None:
    app.config["ENRICH_SETTINGS"].admin_token = "env-admin-token-0123456789"
    answer = client.get(
        "/api/v1/tokens", headers={"Authorization": "Bearer env-admin-token-0123456789"}
    )
    assert answer.status_code == 200


def _signed_in(client: FlaskClient, engine: Engine, role: str = "revops") -> str:
    email = seed.user(engine, f"{role}@example.com", role)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login", data={"email": email, "password": seed.PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    # Signing in starts a new session, and with it a new CSRF token: read it from a page.
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_the_console_session_reads_and_needs_csrf_to_write(
    client: FlaskClient, engine: Engine, pending: list[int]
) -> None:
    token = _signed_in(client, engine)
    items = client.get("/api/v1/review").json["items"]
    link_id = items[0]["candidates"][0]["id"]
    assert error(client.post(f"/api/v1/review/{link_id}/reject")) == (400, "csrf_failed")
    answer = client.post(f"/api/v1/review/{link_id}/reject", headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    assert answer.json["decided_by"] == "revops@example.com"
