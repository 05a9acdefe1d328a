"""A loopback CRM sandbox that speaks the Salesforce REST and HubSpot CRM APIs.

The real simple-salesforce and hubspot-api-client libraries talk to it over HTTP, so the
demo and the CRM tests exercise the same wire protocol as production (see
shared/protocols/crm.md beside the repository). Nothing here starts a server at import time:

    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        ...  # sandbox.salesforce_url, sandbox.hubspot_url, sandbox.ca_path
"""

from enrich.sandbox.faults import Faults, Limits
from enrich.sandbox.seed import SAMPLE_SEED
from enrich.sandbox.server import Sandbox

__all__ = ["SAMPLE_SEED", "Faults", "Limits", "Sandbox"]
