"""The HubSpot side (CRM v3 objects/properties/owners, v4 associations), as
hubspot-api-client 12 calls it.

Bearer token, rate limits (rolling 10 s, daily, search per second) with HubSpot's
headers and 429 bodies, property validation against declared properties (unknown and
read-only properties refused, unique values enforced), batch endpoints with their
100-input limit and 207 multi-status, search with its filter limits, and directional
association type ids.
"""

from __future__ import annotations

from typing import Any

from enrich.sandbox.hs_associations import AssociationRoutes
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_objects import ObjectRoutes
from enrich.sandbox.hs_properties import PropertyRoutes
from enrich.sandbox.hs_search import SearchRoutes

__all__ = ["HsError", "HubSpotApi"]


class HubSpotApi(ObjectRoutes, SearchRoutes, AssociationRoutes, PropertyRoutes):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._routes()

    def _routes(self) -> None:
        add = self.router.add
        o = "/crm/v3/objects/{object_type}"
        for action in ("read", "create", "update", "upsert", "archive"):
            add("POST", f"{o}/batch/{action}", getattr(self, f"batch_{action}"))
        add("POST", f"{o}/search", self.search)
        add("POST", f"{o}/merge", self.merge)
        add("GET", o, self.get_page)
        add("POST", o, self.create)
        add("GET", f"{o}/{{object_id}}", self.get_by_id)
        add("PATCH", f"{o}/{{object_id}}", self.update)
        add("DELETE", f"{o}/{{object_id}}", self.archive)
        add(
            "POST",
            "/crm/v4/associations/{object_type}/{to_object_type}/batch/create",
            self.associate_batch,
        )
        a = "/crm/v4/objects/{object_type}/{object_id}/associations"
        add("GET", f"{a}/{{to_object_type}}", self.associations_page)
        add("PUT", f"{a}/default/{{to_object_type}}/{{to_object_id}}", self.associate_default)
        add("PUT", f"{a}/{{to_object_type}}/{{to_object_id}}", self.associate)
        add("DELETE", f"{a}/{{to_object_type}}/{{to_object_id}}", self.dissociate)
        p = "/crm/v3/properties/{object_type}"
        add("GET", f"{p}/groups", self.groups_list)
        add("POST", f"{p}/groups", self.groups_create)
        add("GET", f"{p}/groups/{{group_name}}", self.groups_get)
        add("GET", p, self.properties_list)
        add("POST", p, self.properties_create)
        add("GET", f"{p}/{{property_name}}", self.properties_get)
        add("PATCH", f"{p}/{{property_name}}", self.properties_update)
        add("DELETE", f"{p}/{{property_name}}", self.properties_archive)
        add("GET", "/crm/v3/owners", self.owners_list)
        add("GET", "/crm/v3/owners/{owner_id}", self.owners_get)
