"""The adapter for the CRM the settings name: the one place the vendor adapters are picked."""

from __future__ import annotations

from enrich.config import Settings
from enrich.errors import ConfigError
from enrich.sync.adapter import CrmAdapter
from enrich.sync.budget import WindowLimiter


def make_adapter(settings: Settings) -> CrmAdapter:
    """The adapter of the configured CRM, with its shared calls-per-window cap if one is set."""
    # Only the configured vendor's client library is loaded (each adds ~25 MB to a process).
    adapter: CrmAdapter
    if settings.crm == "salesforce":
        from enrich.sync.salesforce import SalesforceAdapter

        adapter = SalesforceAdapter.from_settings(settings)
    elif settings.crm == "hubspot":
        from enrich.sync.hubspot import HubSpotAdapter

        adapter = HubSpotAdapter.from_settings(settings)
    else:
        raise ConfigError("no CRM configured: set CRM=salesforce or CRM=hubspot (see README)")
    if settings.crm_calls_per_10s:
        adapter.limiter = WindowLimiter(
            settings.crm, settings.crm_calls_per_10s, 10.0, settings.redis_url
        )
    return adapter
