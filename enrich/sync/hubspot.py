"""HubSpot adapter over hubspot-api-client: list/search pulls and batch (100) writes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    PublicAssociationMultiPost,
)
from hubspot.crm.associations.v4 import PublicObjectId as AssocObjectId
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
)
from urllib3.util.retry import Retry

from enrich import defaults
from enrich.config import Settings
from enrich.errors import ConfigError, CRMError, CRMRateLimited, CRMValidationError
from enrich.sync import hs_leads
from enrich.sync.adapter import Activity, CrmAdapter, MirrorRow, NewLead, WriteResult, in_chunks
from enrich.sync.budget import WindowLimiter
from enrich.sync.errors import hubspot_errors
from enrich.sync.fields import FieldMap
from enrich.sync.hs_activities import NOTE_KEY_PROPERTY, TASKS, Engagement, notes

# neutral name -> HubSpot property, per object
PROPERTIES = {
    "contact": {
        "first_name": "firstname",
        "last_name": "lastname",
        "email": "email",
        "company": "company",
        "account_crm_id": "associatedcompanyid",
        "title": "jobtitle",
        "city": "city",
        "country": "country",
        "owner_id": "hubspot_owner_id",
        "linkedin_url": "linkedin_url",
        "twitter_handle": "twitterhandle",
    },
    "account": {
        "company": "name",
        "city": "city",
        "country": "country",
        "owner_id": "hubspot_owner_id",
    },
    "opportunity": {"company": "dealname", "title": "dealstage", "owner_id": "hubspot_owner_id"},
}
# What attribution reads of a deal besides the mirror's own fields.
DEAL_EXTRA: tuple[str, ...] = ("amount", "closedate", "hs_is_closed", "hs_is_closed_won")
DEAL_EXTRA += ("createdate", "deal_currency_code")
# On the surviving record of a merge: the ids merged into it, ';'-separated.
MERGED_PROPERTY = "hs_merged_object_ids"
SEARCH_CAP = 10_000  # HubSpot returns at most 10,000 results per search query
DELETIONS_EVERY_S = 6 * 3600.0  # HUBSPOT_DELETIONS_EVERY_H's default
SEARCH_RETRIES = 3  # SECONDLY 429s tolerated per search before a pull gives up
# A portal found without the task key property gets hand-offs as notes; looked at again this
# often (`enrich crm setup` may have created it meanwhile).
TASK_KEY_RECHECK_S = 3600.0
_NO_TASK_KEY: dict[str, float] = {}  # portal (base URL + token) -> when found without it
log = logging.getLogger("enrich.sync")


def _ms(value: datetime) -> str:
    return str(int(value.astimezone(UTC).timestamp() * 1000))


def _parse(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class HubSpotAdapter(CrmAdapter):
    name = "hubspot"
    batch_size = defaults.HUBSPOT_BATCH
    lead_object = "contact"

    def __init__(
        self,
        client: HubSpot,
        timeout: float = 30.0,
        fields: FieldMap | None = None,
        note_key: str = NOTE_KEY_PROPERTY,
    ) -> None:
        super().__init__(fields or FieldMap.default(self.name))
        self.client = client
        self.note_key = note_key
        self.notes = notes(note_key)
        self.tasks = TASKS
        self.portal = f"{client.config.get('host', '')}|{client.config.get('access_token', '')}"
        self.timeout = timeout
        self.search_pacer: WindowLimiter | None = None
        # Incremental pulls list deleted records at most this often (full pulls always do).
        self.deletions_every_s = DELETIONS_EVERY_S

    def _search(self, api: Any, request: Any) -> Any:
        """One CRM search, paced under the search API's own per-second limit (it has no
        rate-limit headers to read). A SECONDLY 429 anyway (another process of the same
        token) waits a second and tries again, a few times, rather than failing a long pull."""
        for attempt in range(SEARCH_RETRIES + 1):
            if self.search_pacer is not None:
                self.search_pacer.acquire()
            try:
                with hubspot_errors():
                    self._call()
                    return api.search_api.do_search(
                        public_object_search_request=request, _request_timeout=self.timeout
                    )
            except CRMRateLimited as exc:
                if exc.code != "SECONDLY" or attempt == SEARCH_RETRIES:
                    raise
                time.sleep(max(exc.retry_after, 1.0))
        raise AssertionError("unreachable")

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpotAdapter:
        if not settings.hubspot_access_token:
            raise ConfigError("CRM=hubspot needs HUBSPOT_ACCESS_TOKEN (a private app token)")
        # Retry connection errors only: 429/5xx backoff is the worker's, with its own budget.
        retry = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0)
        client = HubSpot(
            access_token=settings.hubspot_access_token,
            host=settings.hubspot_base_url.rstrip("/"),
            retry=retry,
        )
        adapter = cls(
            client,
            settings.crm_timeout_s,
            FieldMap.from_settings(settings),
            settings.hubspot_note_key_property,
        )
        adapter.search_pacer = search_pacer(settings.hubspot_searches_per_s, settings.redis_url)
        adapter.deletions_every_s = settings.hubspot_deletions_every_h * 3600
        return adapter

    def _api(self, object_type: str) -> Any:
        if object_type == "contact":
            return self.client.crm.contacts
        if object_type == "account":
            return self.client.crm.companies
        if object_type == "opportunity":
            return self.client.crm.deals
        raise ConfigError(f"HubSpot has no {object_type!r} object to sync (use contact or account)")

    def _row(self, object_type: str, obj: Any) -> MirrorRow:
        props = obj.properties or {}
        mapping = self.fields.read_fields(object_type, PROPERTIES[object_type])
        merged = tuple(i for i in str(props.get(MERGED_PROPERTY) or "").split(";") if i)
        return MirrorRow(
            object_type=object_type,
            crm_id=str(obj.id),
            modified_at=_parse(
                props.get("lastmodifieddate") or props.get("hs_lastmodifieddate") or obj.updated_at
            ),
            deleted=bool(getattr(obj, "archived", False)),
            merged_ids=merged,
            raw=dict(props),
            **{name: props.get(prop) or None for name, prop in mapping.items()},
        )

    def pull(
        self, object_type: str, since: datetime | None, after_id: str | None = None
    ) -> Iterator[MirrorRow]:
        """Search from `since` by last-modified time (`after_id` is not needed: a page of
        records sharing one time is read again and stored again, which changes nothing)."""
        if object_type == "lead":
            return  # HubSpot keeps leads as contacts (lifecycle stage)
        if object_type == "opportunity":
            yield from self._pull_deals()
            return
        api = self._api(object_type)
        props = [
            "lastmodifieddate",
            "hs_lastmodifieddate",
            MERGED_PROPERTY,
            *self.fields.read_fields(object_type, PROPERTIES[object_type]).values(),
        ]
        if since is None:
            for obj in self._list(api, properties=props):
                yield self._row(object_type, obj)
            return
        modified_prop = "lastmodifieddate" if object_type == "contact" else "hs_lastmodifieddate"
        cursor, after, seen = since, None, 0
        row: MirrorRow | None = None
        while True:
            request = PublicObjectSearchRequest(
                filter_groups=[
                    {
                        "filters": [
                            {"propertyName": modified_prop, "operator": "GTE", "value": _ms(cursor)}
                        ]
                    }
                ],
                sorts=[{"propertyName": modified_prop, "direction": "ASCENDING"}],
                properties=props,
                limit=defaults.HUBSPOT_PAGE,
                after=after,
            )
            page = self._search(api, request)
            for obj in page.results:
                row = self._row(object_type, obj)
                seen += 1
                yield row
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return
            if seen + defaults.HUBSPOT_PAGE >= SEARCH_CAP and row and row.modified_at:
                # Past 10,000 results a search stops paging: start a new one from here.
                cursor, after, seen = row.modified_at, None, 0

    def _pull_deals(self) -> Iterator[MirrorRow]:
        """Deals with their company (an association, not a property); read in full each time,
        since search results carry no associations and open deals are few."""
        props = ["hs_lastmodifieddate", *PROPERTIES["opportunity"].values(), *DEAL_EXTRA]
        deals = self.client.crm.deals
        for deal in self._list(deals, properties=props, associations=["companies", "contacts"]):
            row = self._row("opportunity", deal)
            assoc = getattr(deal, "associations", None) or {}
            ids = {
                k: [str(r.id) for r in getattr(assoc.get(k), "results", None) or []]
                for k in ("companies", "contacts")
            }
            # The deal's contacts stand for its contact roles (attribution counts them).
            raw = {**(row.raw or {}), "contact_ids": list(dict.fromkeys(ids["contacts"]))}
            account = ids["companies"][0] if ids["companies"] else None
            yield MirrorRow(**{**row.__dict__, "account_crm_id": account, "raw": raw})

    def pull_deleted(self, object_type: str) -> Iterator[MirrorRow]:
        """Records deleted (archived) in HubSpot, as deleted rows: search, which incremental
        pulls use, leaves them out. The archived listing cannot be filtered by date, so every
        call pages through all of them (HubSpot keeps them 90 days); the mirror calls this on
        full pulls and at most every `deletions_every_s` otherwise."""
        if object_type == "lead":
            return
        for obj in self._list(self._api(object_type), archived=True):
            archived_at = _parse(obj.archived_at or obj.updated_at)
            yield MirrorRow(
                object_type=object_type,
                crm_id=str(obj.id),
                modified_at=archived_at,
                deleted=True,
                raw={"archivedAt": archived_at.isoformat() if archived_at else None},
            )

    def _list(self, api: Any, **params: Any) -> Iterator[Any]:
        """Every object of the list endpoint (GET /crm/v3/objects/{type}), a page per call."""
        after = None
        while True:
            with hubspot_errors():
                self._call()
                page = api.basic_api.get_page(
                    limit=defaults.HUBSPOT_PAGE,
                    after=after,
                    _request_timeout=self.timeout,
                    **params,
                )
            yield from page.results
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return

    def write_fields(
        self, object_type: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        api = self._api(object_type)

        def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[WriteResult]:
            inputs = [
                SimplePublicObjectBatchInput(
                    id=crm_id, properties={k: _property(v) for k, v in values.items()}
                )
                for crm_id, values in chunk
            ]
            with hubspot_errors():
                self._call()
                answer = api.batch_api.update(
                    BatchInputSimplePublicObjectBatchInput(inputs=inputs),
                    _request_timeout=self.timeout,
                )
            failed: dict[str, str] = {}
            for error in getattr(answer, "errors", None) or []:
                ids = (error.context or {}).get("ids") or (error.context or {}).get("id") or []
                for crm_id in ids if isinstance(ids, list) else [ids]:
                    failed[str(crm_id)] = f"{error.category}: {error.message}"
            return [
                WriteResult(crm_id, str(crm_id) not in failed, failed.get(str(crm_id)))
                for crm_id, _ in chunk
            ]

        return in_chunks(updates, self.batch_size, send, key=lambda u: u[0])

    def write_activities(self, activities: list[Activity]) -> list[WriteResult]:
        """Touchpoints as notes, hand-offs as tasks for the record's owner; each keyed by a
        unique-value property, so none is ever written twice (`_write_engagements`). Results
        in the order given."""
        results: list[WriteResult | None] = [None] * len(activities)
        for handoff in (False, True):
            where = [i for i, a in enumerate(activities) if a.handoff is handoff]
            if not where:
                continue
            items = [activities[i] for i in where]
            written = (
                self._write_handoffs(items)
                if handoff
                else self._write_engagements(self.notes, items)
            )
            for i, result in zip(where, written, strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def _write_handoffs(self, items: list[Activity]) -> list[WriteResult]:
        """Hand-offs as tasks; as notes (as before tasks) on a portal whose task key property
        does not exist yet, until `enrich crm setup` creates it: nothing is lost meanwhile."""
        if time.monotonic() - _NO_TASK_KEY.get(self.portal, -TASK_KEY_RECHECK_S) >= (
            TASK_KEY_RECHECK_S
        ):
            try:
                return self._write_engagements(self.tasks, items)
            except CRMValidationError as exc:
                if "PROPERTY_DOESNT_EXIST" not in str(exc) or self.tasks.key not in str(exc):
                    raise
                _NO_TASK_KEY[self.portal] = time.monotonic()
                log.warning(
                    "HubSpot has no task property %s: hand-offs are written as notes until "
                    "`enrich crm setup` creates it",
                    self.tasks.key,
                )
        return self._write_engagements(self.notes, items)

    def tasks_ready(self) -> None:
        """The task key property exists (`enrich crm setup` made it): hand-offs are tasks."""
        _NO_TASK_KEY.pop(self.portal, None)

    def _write_engagements(self, kind: Engagement, items: list[Activity]) -> list[WriteResult]:
        """A chunk goes out as one batch create (objects and their associations in one call).
        When a key already exists (a retry after a lost answer: HubSpot refuses the batch with
        409 on the unique property) or the create failed for some, those are upserted on the
        key (`batch/upsert` + `idProperty`) and associated in v4 batch calls: the upsert
        updates one that landed and creates one that did not, whichever came first."""

        def send(chunk: list[Activity]) -> list[WriteResult]:
            try:
                written = self._create(kind, chunk)
            except CRMError as exc:
                if exc.status != 409:
                    raise
                written = {}
            rest = [a for a in chunk if a.key not in written]
            if rest:
                written |= self._upsert(kind, rest)
            return [
                WriteResult(
                    written.get(a.key) or a.key,
                    a.key in written,
                    None if a.key in written else f"{kind.object_type[:-1]} not written",
                )
                for a in chunk
            ]

        return in_chunks(items, self.batch_size, send, key=lambda a: a.key)

    def _by_key(self, kind: Engagement, results: list[Any]) -> dict[str, str]:
        return {
            str((r.properties or {}).get(kind.key)): str(r.id)
            for r in results
            if (r.properties or {}).get(kind.key)
        }

    def _create(self, kind: Engagement, chunk: list[Activity]) -> dict[str, str]:
        inputs = [
            kind.create_input(properties=kind.properties(a), associations=kind.associations(a))
            for a in chunk
        ]
        with hubspot_errors():
            self._call()
            answer = kind.api(self.client).batch_api.create(
                kind.create_batch(inputs=inputs), _request_timeout=self.timeout
            )
        return self._by_key(kind, answer.results)

    def _upsert(self, kind: Engagement, chunk: list[Activity]) -> dict[str, str]:
        inputs = [
            kind.upsert_input(id_property=kind.key, id=a.key, properties=kind.properties(a))
            for a in chunk
        ]
        with hubspot_errors():
            self._call()
            answer = kind.api(self.client).batch_api.upsert(
                kind.upsert_batch(inputs=inputs), _request_timeout=self.timeout
            )
        written = self._by_key(kind, answer.results)
        # Upsert takes no associations. Creating one that exists changes nothing, so every
        # object is associated again: one created by an upsert whose association call then
        # failed is fixed by the next retry.
        targets = (
            ("contacts", kind.to_contact, {a.key: a.record_crm_id for a in chunk}),
            ("companies", kind.to_company, {a.key: a.account_crm_id for a in chunk}),
        )
        for to_type, type_id, target in targets:
            pairs = [
                PublicAssociationMultiPost(
                    _from=AssocObjectId(id=written[key]),
                    to=AssocObjectId(id=to_id),
                    types=[
                        AssociationSpec(
                            association_category="HUBSPOT_DEFINED", association_type_id=type_id
                        )
                    ],
                )
                for key, to_id in target.items()
                if key in written and to_id
            ]
            if pairs:
                with hubspot_errors():
                    self._call()
                    self.client.crm.associations.v4.batch_api.create(
                        kind.object_type,
                        to_type,
                        BatchInputPublicAssociationMultiPost(inputs=pairs),
                        _request_timeout=self.timeout,
                    )
        return written

    def upsert_leads(self, leads: list[NewLead]) -> list[WriteResult]:
        """Contacts with lifecycle stage lead (`hs_leads`): a batch create, and each one the
        create refused as existing (409) claimed by an upsert that sends only its key."""

        def create(chunk: list[NewLead]) -> dict[str, str] | None:
            """The contacts made, or None when one of them exists (409: none was made)."""
            try:
                with hubspot_errors():
                    self._call()
                    return hs_leads.create(self.client, chunk, self.timeout)
            except CRMError as exc:
                if exc.status != 409:
                    raise
                return None

        def send(chunk: list[NewLead]) -> list[WriteResult]:
            written = create(chunk)
            if written is None:  # one by one: each existing one is claimed, the rest created
                written = {}
                for n in chunk:
                    alone = create([n])
                    if alone is None:
                        with hubspot_errors():
                            self._call()
                            alone = hs_leads.claim(self.client, n, self.timeout)
                    written |= alone
            return [WriteResult(written.get(n.key, n.key), n.key in written) for n in chunk]

        return in_chunks(leads, self.batch_size, send, key=lambda n: n.key)

    def delete_activities(self, activity_ids: list[str]) -> list[WriteResult]:
        """Archive notes enrich created (erasure, undo of a wrong link)."""
        from hubspot.crm.objects.notes import BatchInputSimplePublicObjectId, SimplePublicObjectId

        for start in range(0, len(activity_ids), self.batch_size):
            chunk = activity_ids[start : start + self.batch_size]
            with hubspot_errors():
                self._call()
                self.client.crm.objects.notes.batch_api.archive(
                    BatchInputSimplePublicObjectId(
                        inputs=[SimplePublicObjectId(id=i) for i in chunk]
                    ),
                    _request_timeout=self.timeout,
                )
        return [WriteResult(i, True) for i in activity_ids]


def _property(value: Any) -> str:
    """A value as HubSpot's properties take it: booleans as "true"/"false", None as ""."""
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def search_pacer(per_second: int, redis_url: str | None) -> WindowLimiter:
    """One search per slot of 1/(n-1) s (shared through Redis when present): fixed slots can
    put two calls close together at a slot boundary, so n-1 slots a second keep any rolling
    second at or below n searches, as HubSpot counts them."""
    slot = 1.0 / (per_second - 1) if per_second > 1 else 2.0
    return WindowLimiter("hubspot-search", 1, slot, redis_url)
