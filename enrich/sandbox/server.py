"""The sandbox process: two listeners (Salesforce over TLS, HubSpot over http) on one state.

`Sandbox` is the Python API used by tests and the demo; it starts werkzeug servers in
background threads (`start`/`stop`, or a `with` block) or blocks (`serve_forever`, for the
CLI). Each listener also answers `/_sandbox/...` control endpoints (faults, limits,
request log, state dump), which are never counted in the request log.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import signal
import ssl
import tempfile
import threading
import uuid
from copy import deepcopy
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from enrich.sandbox.faults import FaultInjector, Faults, Limits, update_dataclass
from enrich.sandbox.hubspot import HsError, HubSpotApi
from enrich.sandbox.routing import BadJson, Call, decode_params, json_response, raw_path
from enrich.sandbox.routing import read_json as _read_json
from enrich.sandbox.salesforce import SalesforceApi, new_session_id, sf_error
from enrich.sandbox.seed import SAMPLE_SEED, Seed, apply_seed, load_seed
from enrich.sandbox.state import SandboxState

log = logging.getLogger(__name__)

SIDES = ("salesforce", "hubspot")


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug logs every request to stderr; tests and the demo do not want that noise."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        if type == "error":
            log.debug(message, *args)


class _Listener:
    """The WSGI app of one CRM side: control endpoints, else the CRM API plus the log."""

    def __init__(self, sandbox: Sandbox, api: SalesforceApi | HubSpotApi) -> None:
        self.sandbox, self.api = sandbox, api

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = raw_path(request)
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            response = self.sandbox._control(request, path, self.api.side)
            return response(environ, start_response)
        route, raw, path_known = self.api.router.match(request.method, path)
        call = Call(request, decode_params(raw), raw)
        try:
            response = self.api.handle(route, call, path_known)
        except Exception:  # a sandbox bug must still answer in the CRM's own error shape
            log.exception("sandbox %s failed on %s %s", self.api.side, request.method, path)
            response = (
                sf_error(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred in the sandbox.")
                if self.api.side == "salesforce"
                else HsError(500, "INTERNAL_ERROR", "internal error in the sandbox").response()
            )
        template = route.template if route else "<unmatched>"
        self.sandbox.state.log.record(
            self.api.side,
            request.method,
            template,
            response.status_code,
            path,
            request.query_string.decode("latin-1"),
        )
        return response(environ, start_response)


class Sandbox:
    """A loopback Salesforce + HubSpot pair, seeded from `seed` (the sample seed by default).

    With `state_path`, a saved state is loaded instead of the seed when the file exists,
    and the state is saved every `save_interval` seconds (when changed) and on `stop()`.
    """

    def __init__(
        self,
        seed: Seed = SAMPLE_SEED,
        state_path: str | Path | None = None,
        host: str = "127.0.0.1",
        sf_port: int = 0,
        hs_port: int = 0,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        session_id: str | None = None,
        access_token: str | None = None,
        save_interval: float = 5.0,
    ) -> None:
        self.seed = seed
        self.state_path = Path(state_path) if state_path else None
        self.host, self._sf_port, self._hs_port = host, sf_port, hs_port
        self.limits = limits or Limits()
        self._given_session, self._given_token = session_id, access_token
        self._session_id = session_id or new_session_id()
        self._access_token = access_token or f"pat-na1-{uuid.uuid4()}"
        # A connected app's refresh token: enrich can buy a new session when one expires.
        self.client_id = "enrich-sandbox-connected-app"
        self.refresh_token = f"5Aep861{secrets.token_urlsafe(40)}"
        self.save_interval = save_interval
        self.state = SandboxState()
        self.faults = {side: FaultInjector(deepcopy(faults) if faults else None) for side in SIDES}
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._tmpdir: Path | None = None
        self.ca_path: Path | None = None
        self.salesforce_url = ""
        self.hubspot_url = ""

    # ------------------------------------------------------------------ credentials
    @property
    def session_id(self) -> str:
        """The Salesforce session id valid now (it changes on expiry and OAuth refresh)."""
        api = getattr(self, "sf_api", None)
        return api.session_id if api is not None else self._session_id

    @session_id.setter
    def session_id(self, value: str) -> None:
        self._session_id = value
        if getattr(self, "sf_api", None) is not None:
            self.sf_api.session_id = value

    @property
    def access_token(self) -> str:
        api = getattr(self, "hs_api", None)
        return api.token if api is not None else self._access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self._access_token = value
        if getattr(self, "hs_api", None) is not None:
            self.hs_api.token = value

    def expire_session(self, side: str = "both") -> None:
        """Expire the Salesforce session and/or the HubSpot token, as a timeout or an admin
        revoking it would: the old one answers 401 from now on. Salesforce can buy a new
        session with the refresh token (unless `revoke_refresh_token`); HubSpot cannot."""
        with self.state.lock:
            if "salesforce" in self._sides(side):
                self.session_id = new_session_id()
            if "hubspot" in self._sides(side):
                self.access_token = f"pat-na1-{uuid.uuid4()}"
            self.state.credentials = {
                "session_id": self.session_id,
                "access_token": self.access_token,
            }

    def revoke_refresh_token(self) -> None:
        """The connected app's refresh token stops working (400 invalid_grant)."""
        self.refresh_token = f"5Aep861{secrets.token_urlsafe(40)}"
        if getattr(self, "sf_api", None) is not None:
            self.sf_api.refresh_token = self.refresh_token

    # ------------------------------------------------------------------ lifecycle
    def _build(self) -> tuple[BaseWSGIServer, BaseWSGIServer]:
        if self.state_path and self.state_path.exists():
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            self.state.load_json(data)
            # Same credentials as last time, so a running enrich keeps working after a restart.
            credentials = data.get("credentials", {})
            self.session_id = self._given_session or credentials.get("session_id", self.session_id)
            self.access_token = self._given_token or credentials.get(
                "access_token", self.access_token
            )
        else:
            apply_seed(self.state, load_seed(self.seed))
        self.state.credentials = {"session_id": self.session_id, "access_token": self.access_token}
        ca = self._certificate_authority()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(self.host, "localhost").configure_cert(context)
        self.sf_api = SalesforceApi(
            self.state,
            self.faults["salesforce"],
            self.limits,
            self.session_id,
            self.refresh_token,
            self.client_id,
        )
        self.hs_api = HubSpotApi(self.state, self.faults["hubspot"], self.limits, self.access_token)
        sf = make_server(
            self.host,
            self._sf_port,
            _Listener(self, self.sf_api),
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=context,
        )
        hs = make_server(
            self.host,
            self._hs_port,
            _Listener(self, self.hs_api),
            threaded=True,
            request_handler=_QuietHandler,
        )
        self.salesforce_url = f"https://{self.host}:{sf.server_port}"
        self.hubspot_url = f"http://{self.host}:{hs.server_port}"
        return sf, hs

    def _certificate_authority(self) -> trustme.CA:
        """A fresh CA in a temporary directory, or with `state_path` a CA kept beside the
        state file, so `SALESFORCE_CA_BUNDLE` stays valid across restarts."""
        if self.state_path is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="enrich-sandbox-"))
            ca = trustme.CA(organization_name="enrich sandbox CA")
            self.ca_path = self._tmpdir / "sandbox-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_path))
            return ca
        tls_dir = self.state_path.with_name(self.state_path.stem + "-tls")
        self.ca_path, key_path = tls_dir / "sandbox-ca.pem", tls_dir / "sandbox-ca.key"
        if self.ca_path.exists() and key_path.exists():
            return trustme.CA.from_pem(self.ca_path.read_bytes(), key_path.read_bytes())
        tls_dir.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="enrich sandbox CA")
        ca.cert_pem.write_to_path(str(self.ca_path))
        ca.private_key_pem.write_to_path(str(key_path))
        key_path.chmod(0o600)
        return ca

    def start(self) -> Sandbox:
        """Bind both ports and serve in daemon threads; returns self."""
        if self._servers:
            return self
        self._stop.clear()
        self._servers = list(self._build())
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name=f"sandbox-{server.server_port}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        if self.state_path:
            saver = threading.Thread(target=self._autosave, name="sandbox-save", daemon=True)
            saver.start()
            self._threads.append(saver)
        return self

    def stop(self) -> None:
        """Stop serving, save the state (with `state_path`) and remove the CA file."""
        self._stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []
        if self.state_path:
            self.save()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop cleanly."""
        self.start()
        if threading.current_thread() is threading.main_thread():
            # `kill` (SIGTERM) should save the state just like Ctrl-C does.
            signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _autosave(self) -> None:
        while not self._stop.wait(self.save_interval):
            if self.state.dirty:
                try:
                    self.save()
                except OSError:
                    log.exception("could not save sandbox state to %s", self.state_path)

    def save(self) -> None:
        if self.state_path is None:
            raise ValueError("this sandbox has no state_path to save to")
        self.state.save(self.state_path)

    # ------------------------------------------------------------------ faults and limits
    def set_faults(self, side: str = "both", **changes: Any) -> None:
        """Change faults at run time, e.g. `set_faults("hubspot", rate_429=0.5, seed=7)`.

        Names: rate_429, rate_503, rate_401 (probabilities), delay_ms, fail_next,
        fail_with ("429" | "503" | "401"), seed.
        """
        for name in self._sides(side):
            self.faults[name].configure(**changes)

    def clear_faults(self, side: str = "both") -> None:
        for name in self._sides(side):
            self.faults[name].clear()

    def set_limits(self, **changes: Any) -> None:
        """Change quotas: sf_daily, hs_ten_secondly, hs_daily, hs_search_per_second."""
        with self.state.lock:
            update_dataclass(self.limits, changes)

    def reset_usage(self) -> None:
        """Start a new "day": usage counters and rate windows back to zero."""
        with self.state.lock:
            self.state.sf_api_used = 0
            self.state.hs_daily_used = 0
            if self._servers:
                self.hs_api.burst.reset()
                self.hs_api.search_window.reset()

    @staticmethod
    def _sides(side: str) -> tuple[str, ...]:
        if side == "both":
            return SIDES
        if side not in SIDES:
            raise ValueError(f"side must be 'salesforce', 'hubspot' or 'both', not {side!r}")
        return (side,)

    # ------------------------------------------------------------------ request log
    def requests_count(self, endpoint: str | None = None, side: str | None = None) -> int:
        """Requests received, optionally for one endpoint ("PATCH composite/sobjects",
        "POST /crm/v3/objects/{object_type}/batch/update") and/or one side."""
        return self.state.log.count(endpoint, side)

    def request_log(self) -> dict[str, Any]:
        return self.state.log.snapshot()

    def reset_log(self) -> None:
        self.state.log.reset()

    # ------------------------------------------------------------------ state helpers
    def sf_record(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        """A copy of a Salesforce record (deleted ones too), or None."""
        with self.state.lock:
            record = self.state.sf_find(sobject, record_id)
            return deepcopy(record) if record else None

    def sf_records(
        self, sobject: str, include_deleted: bool = False, **equals: Any
    ) -> list[dict[str, Any]]:
        """Copies of the records whose fields equal `equals` (text compared case-insensitively)."""
        with self.state.lock:
            return [
                deepcopy(r)
                for r in self.state.sf_records[sobject].values()
                if (include_deleted or not r["IsDeleted"]) and _equal(r, equals)
            ]

    def sf_merge(self, sobject: str, master_id: str, merged_id: str) -> None:
        """What a Salesforce merge (SOAP `merge()`, Apex `Database.merge`; REST has none) leaves
        behind: the merged record deleted with MasterRecordId = the master, its Tasks moved to
        the master, both stamped as modified."""
        with self.state.lock:
            master = self.state.sf_find(sobject, master_id)
            merged = self.state.sf_find(sobject, merged_id)
            if master is None or merged is None or master is merged:
                raise ValueError("sf_merge needs two different existing records")
            for task in self.state.sf_records["Task"].values():
                if task.get("WhoId") == merged["Id"]:
                    task["WhoId"] = master["Id"]
            merged["MasterRecordId"] = master["Id"]
            self.sf_api._delete(merged)
            master["LastModifiedDate"] = master["SystemModstamp"] = merged["SystemModstamp"]

    def hs_object(self, object_type: str, object_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            record = self.state.hs_objects[object_type].get(object_id)
            return deepcopy(record) if record else None

    def hs_objects(
        self, object_type: str, include_archived: bool = False, **equals: Any
    ) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                deepcopy(r)
                for r in self.state.hs_objects[object_type].values()
                if (include_archived or not r["archived"]) and _equal(r["properties"], equals)
            ]

    def hs_associations(
        self, from_type: str, from_id: str, to_type: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(to_type, to_id, type_id) for the edges leaving one HubSpot object."""
        with self.state.lock:
            return sorted(
                (t, tid, type_id)
                for f, fid, t, tid, type_id in self.state.hs_associations
                if f == from_type and fid == from_id and to_type in (None, t)
            )

    def contact(self, email: str, crm: str = "salesforce") -> dict[str, Any] | None:
        """The live contact with this email in one CRM (Salesforce record or HubSpot object)."""
        found = (
            self.sf_records("Contact", Email=email)
            if crm == "salesforce"
            else self.hs_objects("contacts", email=email)
        )
        return found[0] if found else None

    def env(self, crm: str) -> dict[str, str]:
        """Environment variables that point enrich at this sandbox."""
        common = {"CRM": crm}
        if crm == "salesforce":
            return {
                **common,
                "SALESFORCE_INSTANCE_URL": self.salesforce_url,
                "SALESFORCE_SESSION_ID": self.session_id,
                "SALESFORCE_CA_BUNDLE": str(self.ca_path),
                "SALESFORCE_LOGIN_URL": self.salesforce_url,
                "SALESFORCE_CLIENT_ID": self.client_id,
                "SALESFORCE_REFRESH_TOKEN": self.refresh_token,
            }
        return {
            **common,
            "HUBSPOT_ACCESS_TOKEN": self.access_token,
            "HUBSPOT_BASE_URL": self.hubspot_url,
        }

    # ------------------------------------------------------------------ control endpoints
    def _control(self, request: Request, path: str, side: str) -> Response:
        action = path.removeprefix("/_sandbox").strip("/")
        method = request.method
        try:
            if action == "faults" and method == "GET":
                return json_response({s: self.faults[s].faults.to_dict() for s in SIDES})
            if action == "faults" and method == "POST":
                body = _read_json(request)
                if not isinstance(body, dict):
                    raise ValueError("send a JSON object of fault settings")
                target = str(body.pop("side", side))
                if body.pop("clear", False):
                    self.clear_faults(target)
                if body:
                    self.set_faults(target, **body)
                return json_response({s: self.faults[s].faults.to_dict() for s in SIDES})
            if action == "limits" and method == "GET":
                return json_response(self.limits.to_dict())
            if action == "limits" and method == "POST":
                body = _read_json(request)
                if not isinstance(body, dict):
                    raise ValueError("send a JSON object of limits")
                if body.pop("reset_usage", False):
                    self.reset_usage()
                self.set_limits(**body)
                return json_response(self.limits.to_dict())
            if action == "log" and method == "GET":
                return json_response(self.request_log())
            if action == "reset-log" and method == "POST":
                self.reset_log()
                return json_response({"ok": True})
            if action == "expire-session" and method == "POST":
                body = _read_json(request) if request.get_data() else {}
                self.expire_session(str(body.get("side", side)))
                if body.get("revoke_refresh_token"):
                    self.revoke_refresh_token()
                return json_response({"ok": True})
            if action == "state" and method == "GET":
                return json_response(self.state.dump())
        except (ValueError, TypeError, BadJson) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(
            {
                "error": f"unknown control endpoint {method} {path}; try GET "
                "/_sandbox/log, /_sandbox/state, /_sandbox/faults, "
                "/_sandbox/limits"
            },
            404,
        )


def _equal(values: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for name, want in wanted.items():
        have = values.get(name)
        if isinstance(have, str) and isinstance(want, str):
            if have.casefold() != want.casefold():
                return False
        elif have != want:
            return False
    return True
