"""Reading a lead-form response from Meta's Graph API or LinkedIn's API, with our own
`requests` session: base URLs, versions and tokens come from the typed settings, never from a
delivery; ids are checked against the platform's alphabet and URL-encoded; redirects are not
followed; an answer larger than `MAX_BODY` is refused unread. Every failure leaves as one
`PlatformReadError` saying whether to retry and where to park the lead (docs/LEAD_FORMS.md
§1.5, §2.5).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from enrich.config import Settings
from enrich.errors import PlatformReadError
from enrich.leads.answers import Answer, Lead, answer, bounded, clip
from enrich.models import LeadStatus
from enrich.normalize import LeadRef, parse_time
from enrich.normalize.meta import LEAD_ID

MAX_BODY = 256 * 1024  # a lead is a few KB
LEAD_FIELDS = (
    "id,created_time,field_data,form_id,ad_id,campaign_id,is_organic,platform,"
    "custom_disclaimer_responses"
)
GRAPH_TOKEN = {190, 102}
GRAPH_THROTTLED = {4, 17, 32, 341, 613, 80001, 80005}
GRAPH_TRANSIENT = {1, 2}
LINKEDIN_ID = re.compile(r"[A-Za-z0-9-]{1,100}")
FORM_URN = re.compile(r"urn:li:(?:versionedLeadGenForm:\(urn:li:)?leadGenForm:([0-9]{1,20})")
THROTTLE_WAIT_S = 300.0  # Meta gives no Retry-After on a throttled Graph call
OWNER_URN = re.compile(r"urn:li:(organization|sponsoredAccount):[0-9]{1,20}")
# Organic lead types, owned by an organization (§2.1); SPONSORED belongs to an ad account.
ORGANIC_LEAD_TYPES = ("COMPANY", "EVENT", "ORGANIZATION_PRODUCT")
# Leads a catch-up page asks for. Graph's `limit` and LinkedIn's `count` maxima are not in
# what we read (§1.4, §2.4): 100 is the size public clients use.
PAGE_SIZE = 100
MAX_PAGES = 1000  # a cursor that never ends is a platform fault, not 100,000 new leads


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _get(
    session: requests.Session, url: str, timeout: float, **kw: Any
) -> tuple[int, Any, dict[str, str]]:
    """(status, parsed JSON or None, headers) of one GET; transport failures are retryable."""
    try:
        with session.get(url, timeout=timeout, allow_redirects=False, stream=True, **kw) as r:
            body = b""
            for chunk in r.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BODY:
                    raise PlatformReadError(
                        f"GET {url.split('?')[0]} answered more than {MAX_BODY} bytes: not a lead",
                        park=LeadStatus.FAILED,
                    )
            status, headers = r.status_code, dict(r.headers)
    except requests.RequestException as exc:
        raise PlatformReadError(f"GET {url.split('?')[0]}: {type(exc).__name__}: {exc}") from exc
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if 300 <= status < 400:
        raise PlatformReadError(
            f"GET {url.split('?')[0]} answered a redirect ({status}): not followed",
            park=LeadStatus.FAILED,
        )
    return status, data, headers


def _graph_error(status: int, data: Any) -> PlatformReadError:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return PlatformReadError(f"Graph API answered {status} without an error body")
    code, sub = error.get("code"), error.get("error_subcode")
    said = f"Graph error {code}{f'/{sub}' if sub else ''}: {clip(error.get('message'), 300)}"
    if code in GRAPH_TOKEN:
        return PlatformReadError(
            f"{said}. The Page token was refused: put a new one in META_PAGE_TOKENS",
            park=LeadStatus.NEEDS_TOKEN,
        )
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return PlatformReadError(
            f"{said}. The token may not read this Page's leads: grant leads_retrieval (and "
            "check the Leads Access Manager)",
            park=LeadStatus.NEEDS_PERMISSION,
        )
    if code in GRAPH_THROTTLED:
        return PlatformReadError(said, throttled=True, retry_after=THROTTLE_WAIT_S)
    if code == 100 and sub == 33:
        # Deleted, a wrong id, or no permission: Meta does not say which (§1.5).
        return PlatformReadError(said, gone=True)
    if code in GRAPH_TRANSIENT or status >= 500:
        return PlatformReadError(said)
    return PlatformReadError(said, park=LeadStatus.FAILED)


def _linkedin_error(status: int, data: Any, what: str) -> PlatformReadError:
    message = clip(data.get("message"), 300) if isinstance(data, dict) else ""
    said = f"LinkedIn answered {status} to {what}: {message or 'no message'}"
    if status == 401:
        return PlatformReadError(
            f"{said}. Put a new member token in LINKEDIN_ACCESS_TOKEN", park=LeadStatus.NEEDS_TOKEN
        )
    if status == 403:
        return PlatformReadError(
            f"{said}. The member needs r_marketing_leadgen_automation and a role on the "
            "ad account or organization",
            park=LeadStatus.NEEDS_PERMISSION,
        )
    if status == 404:
        return PlatformReadError(said, gone=True)
    if status == 426:
        return PlatformReadError(
            f"{said}. LINKEDIN_VERSION is unknown or sunset: set a current YYYYMM",
            park=LeadStatus.FAILED,
        )
    if status == 429:
        # Counted per day, reset at midnight UTC, no Retry-After (§2.5): wait for the reset.
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
        return PlatformReadError(said, throttled=True, retry_after=(midnight - now).total_seconds())
    if status >= 500:
        return PlatformReadError(said)
    return PlatformReadError(said, park=LeadStatus.FAILED)


class Readers:
    """The lead readers of both platforms over one HTTP session."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.http = session or requests.Session()
        self.http.trust_env = False  # no proxy or netrc from the environment steers these calls
        self.timeout = settings.lead_forms_timeout_s
        self.page_size = PAGE_SIZE

    def read(self, source: str, lead_id: str, account: str | None) -> Lead:
        if source == "meta":
            return self.meta(lead_id, account)
        if source == "linkedin":
            return self.linkedin(lead_id)
        raise PlatformReadError(f"no reader for lead source {source!r}", park=LeadStatus.FAILED)

    # ------------------------------------------------------------------ Meta
    def _graph(self, path: str, token: str, fields: str, **params: str) -> Any:
        base = self.settings.meta_graph_url.rstrip("/")
        where = "/".join(quote(part, safe="") for part in path.split("/"))
        url = f"{base}/{self.settings.meta_graph_version}/{where}"
        status, data, _ = _get(
            self.http,
            url,
            self.timeout,
            params={"fields": fields, **params},
            headers={"Authorization": f"Bearer {token}"},
        )
        if status != 200 or not isinstance(data, dict) or "error" in data:
            raise _graph_error(status, data)
        return data

    def page_token(self, page_id: str | None) -> str:
        token = self.settings.page_token(page_id)
        if not token:
            raise PlatformReadError(
                f"no Page token for Page {page_id}: set META_PAGE_TOKENS={page_id}=<token>",
                park=LeadStatus.NEEDS_TOKEN,
            )
        return token

    def meta_form_leads(
        self, form_id: str, page_id: str | None, since: datetime, until: datetime
    ) -> Iterator[list[LeadRef]]:
        """The leads submitted to one form in [since, until), a page at a time (§1.4). Paged by
        the `after` cursor alone: the `next` URL the platform sends is never followed."""
        if not LEAD_ID.fullmatch(form_id):
            raise PlatformReadError(
                f"form id {form_id!r} is not a Graph id", park=LeadStatus.FAILED
            )
        token = self.page_token(page_id)
        window = [
            {"field": "time_created", "operator": "GREATER_THAN", "value": int(since.timestamp())},
            {"field": "time_created", "operator": "LESS_THAN", "value": int(until.timestamp())},
        ]
        params = {"filtering": json.dumps(window), "limit": str(self.page_size)}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = self._graph(f"{form_id}/leads", token, "id,created_time,ad_id,form_id", **params)
            refs = [
                LeadRef(
                    "meta",
                    str(item["id"]),
                    account=page_id,
                    form_id=form_id,
                    ad_id=clip(item.get("ad_id"), 40) or None,
                )
                for item in _list(data.get("data"))
                if isinstance(item, dict) and LEAD_ID.fullmatch(str(item.get("id", "")))
            ]
            yield refs
            paging = _obj(data.get("paging"))
            after = clip(_obj(paging.get("cursors")).get("after"), 500)
            if not paging.get("next") or not after or after in seen:
                return
            seen.add(after)
            params["after"] = after
        raise PlatformReadError(f"form {form_id}: more than {MAX_PAGES} pages of leads")

    def linkedin_owner_leads(
        self, owner: str, since: datetime, until: datetime
    ) -> Iterator[list[LeadRef]]:
        """The responses submitted to one owner's forms in [since, until), a page at a time:
        the `q=owner` finder (§2.4), once per lead type the owner can have."""
        found = OWNER_URN.fullmatch(owner)
        if found is None:
            raise PlatformReadError(f"owner {owner!r} is not an owner URN", park=LeadStatus.FAILED)
        key = found.group(1)
        types = ("SPONSORED",) if key == "sponsoredAccount" else ORGANIC_LEAD_TYPES
        window = f"(start:{int(since.timestamp() * 1000)},end:{int(until.timestamp() * 1000)})"
        for lead_type in types:
            start = 0
            for _ in range(MAX_PAGES):
                # Rest.li 2.0: the structure stays literal, the URN inside it is encoded.
                query = (
                    f"q=owner&owner=({key}:{quote(owner, safe='')})"
                    f"&leadType=(leadType:{lead_type})&limitedToTestLeads=false"
                    f"&submittedAtTimeRange={window}&start={start}&count={self.page_size}"
                )
                data = self._rest(f"leadFormResponses?{query}")
                items = [i for i in _list(data.get("elements")) if isinstance(i, dict)]
                refs = []
                for item in items:
                    response_id = clip(item.get("id"), 200).rsplit(":", 1)[-1]
                    form = clip(item.get("versionedLeadGenFormUrn"), 200)
                    if LINKEDIN_ID.fullmatch(response_id):
                        refs.append(
                            LeadRef(
                                "linkedin",
                                response_id,
                                account=owner,
                                form_id=form if FORM_URN.match(form) else None,
                            )
                        )
                yield refs
                total = _obj(data.get("paging")).get("total")
                start += len(items)
                if not items or not isinstance(total, int) or start >= total:
                    break
            else:
                raise PlatformReadError(f"{owner}: more than {MAX_PAGES} pages of leads")

    def meta(self, lead_id: str, page_id: str | None) -> Lead:
        if not LEAD_ID.fullmatch(lead_id):
            raise PlatformReadError(
                f"lead id {lead_id!r} is not a Graph id", park=LeadStatus.FAILED
            )
        token = self.page_token(page_id)
        data = self._graph(lead_id, token, LEAD_FIELDS)
        if str(data.get("id")) != lead_id:
            raise PlatformReadError(
                f"Graph answered lead {clip(data.get('id'), 40)!r} for {lead_id}",
                park=LeadStatus.FAILED,
            )
        form_id = clip(data.get("form_id"), 40) or None
        kinds = self._meta_question_types(form_id, token)
        fields = _list(data.get("field_data"))
        answers: list[Answer | None] = []
        for item in fields[:100]:
            name = _obj(item).get("name")
            kind, label = kinds.get(clip(name, 100), ("", ""))
            answers.append(answer(name, label, _obj(item).get("values"), kind))
        kept = bounded(answers)
        # `platform`'s values are UNVERIFIED (§1.3): only an explicit Instagram one moves it.
        surface = str(data.get("platform") or "").lower()
        consents = data.get("custom_disclaimer_responses")
        return Lead(
            source="meta",
            lead_id=lead_id,
            platform="instagram" if surface in ("ig", "instagram") else "facebook",
            created_at=_when(data.get("created_time")),
            answers=kept,
            consents=_consents(consents),
            # The testing tool's leads are organic and hold dummy values (§1.6); that they
            # read "<test lead: dummy data for ...>" is UNVERIFIED: an organic lead with
            # real answers is not a test.
            test=data.get("is_organic") is not False
            and any(a.value.startswith("<test lead") for a in kept),
            form_id=form_id,
            ad_id=clip(data.get("ad_id"), 40) or None,
        )

    def _meta_question_types(self, form_id: str | None, token: str) -> dict[str, tuple[str, str]]:
        """question key → (type, label) from the form; nothing when it cannot be read (the
        answers then keep their keys, which name the standard questions too)."""
        if not form_id or not LEAD_ID.fullmatch(form_id):
            return {}
        try:
            data = self._graph(form_id, token, "questions")
        except PlatformReadError as exc:
            if exc.park in (LeadStatus.NEEDS_TOKEN,) or exc.throttled:
                raise
            return {}
        questions = _list(data.get("questions"))
        return {
            clip(q.get("key"), 100): (clip(q.get("type"), 40), clip(q.get("label"), 300))
            for q in questions[:100]
            if isinstance(q, dict)
        }

    # ------------------------------------------------------------------ LinkedIn
    def _rest(self, path: str) -> Any:
        token = self.settings.linkedin_access_token
        if not token:
            raise PlatformReadError(
                "no LinkedIn token: set LINKEDIN_ACCESS_TOKEN", park=LeadStatus.NEEDS_TOKEN
            )
        url = f"{self.settings.linkedin_api_url.rstrip('/')}/rest/{path}"
        status, data, _ = _get(
            self.http,
            url,
            self.timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "LinkedIn-Version": self.settings.linkedin_version,
                "X-Restli-Protocol-Version": "2.0.0",
            },
        )
        if status != 200 or not isinstance(data, dict):
            raise _linkedin_error(status, data, f"GET /rest/{path.split('?')[0].split('/')[0]}")
        return data

    def linkedin(self, response_id: str) -> Lead:
        if not LINKEDIN_ID.fullmatch(response_id):
            raise PlatformReadError(
                f"response id {response_id!r} is not a LinkedIn id", park=LeadStatus.FAILED
            )
        data = self._rest(f"leadFormResponses/{quote(response_id, safe='')}")
        form = FORM_URN.match(clip(data.get("versionedLeadGenFormUrn"), 200))
        questions: dict[str, tuple[str, str, dict[str, str]]] = {}
        if form is not None:
            questions = _linkedin_questions(self._rest(f"leadForms/{form.group(1)}"))
        response = _obj(data.get("formResponse"))
        items = _list(response.get("answers"))
        answers: list[Answer | None] = []
        for item in items[:100]:
            if not isinstance(item, dict):
                continue
            qid = clip(item.get("questionId"), 40)
            kind, label, options = questions.get(qid, ("", "", {}))
            answers.append(answer(qid, label, _linkedin_value(item, options), kind))
        submitter = clip(data.get("submitter"), 200)
        return Lead(
            source="linkedin",
            lead_id=response_id,
            platform="linkedin",
            created_at=_when(data.get("submittedAt")),
            answers=bounded(answers),
            consents=_consents(response.get("consentResponses")),
            test=data.get("testLead") is True,
            submitter=submitter if submitter.startswith("urn:li:") else None,
            form_id=form.group(1) if form else None,
        )


def _linkedin_questions(form: Any) -> dict[str, tuple[str, str, dict[str, str]]]:
    """questionId → (predefinedField, question text, option id → text)."""
    content = _obj(form.get("content"))
    items = _list(content.get("questions"))
    out: dict[str, tuple[str, str, dict[str, str]]] = {}
    for q in items[:100]:
        if not isinstance(q, dict):
            continue
        text = _obj(q.get("question"))
        details = _obj(q.get("questionDetails"))
        options = _obj(details.get("multipleChoiceQuestionDetails")).get("options")
        out[clip(q.get("questionId"), 40)] = (
            clip(q.get("predefinedField"), 60),
            clip(
                text.get("localized", {}).get("en_US")
                if isinstance(text.get("localized"), dict)
                else "",
                300,
            ),
            {
                clip(o.get("id"), 40): clip(o.get("text"), 300)
                for o in _list(options)[:100]
                if isinstance(o, dict)
            },
        )
    return out


def _linkedin_value(item: dict[str, Any], options: dict[str, str]) -> Any:
    details = _obj(item.get("answerDetails"))
    text = details.get("textQuestionAnswer")
    if isinstance(text, dict):
        return text.get("answer")
    choice = details.get("multipleChoiceAnswer")
    if isinstance(choice, dict) and isinstance(choice.get("options"), list):
        return [options.get(str(o), str(o)) for o in choice["options"][:20]]
    return None


def _consents(value: Any) -> list[dict[str, Any]]:
    items = _list(value)
    return [
        {k: clip(v, 200) if not isinstance(v, bool) else v for k, v in item.items() if len(k) < 60}
        for item in items[:20]
        if isinstance(item, dict) and len(item) <= 10
    ]


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    sentinel = datetime(1970, 1, 1, tzinfo=UTC)
    parsed = parse_time(
        value if not isinstance(value, str) else value.replace("+0000", "+00:00"), sentinel
    )
    return None if parsed == sentinel else parsed
