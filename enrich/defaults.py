"""Constants with a reason. Anything a user may want to change lives in `enrich.config.Settings`."""

from __future__ import annotations

from datetime import timedelta

# Meta batches up to 1000 changes per delivery; 1 MiB leaves headroom without inviting abuse.
MAX_WEBHOOK_BYTES = 1024 * 1024
# The Standard Webhooks reference library rejects timestamps more than 5 minutes off.
STANDARD_WEBHOOK_TOLERANCE_S = 5 * 60
# The touchpoint message allows a list of this many touchpoints in one delivery.
MAX_TOUCHPOINTS_PER_DELIVERY = 100
# JSON nested deeper than this is hostile, not social data.
MAX_JSON_DEPTH = 32
# When a touchpoint happened: no social platform we read predates 2000, and a time more than a
# day ahead is a wrong clock (or an attack: 9999-12-31 at -14:00 does not fit a UTC datetime).
# The Standard receiver refuses times outside this range with a 422; platform normalisers fall
# back to the time the delivery was received.
# A request must arrive whole (headers and body) within this long of its first byte, or it is
# answered 408: platforms send a delivery in milliseconds and give up after 3-10 s themselves,
# and a slower client is holding a connection open on purpose (enrich/httpworker.py).
REQUEST_READ_S = 10.0
# Request line and headers larger than this are refused without waiting for more of them.
MAX_REQUEST_HEAD_BYTES = 64 * 1024
EARLIEST_OCCURRED_AT = "2000-01-01T00:00:00+00:00"
MAX_CLOCK_AHEAD_S = 24 * 3600

# On SQLite, while deliveries arrive faster than PROCESSING_YIELD_ABOVE_PER_S (a burst, more
# than processing could keep up with anyway), processing sleeps this many times as long as its
# last delivery held the write lock: acks come first (p99 <= 50 ms, bench/ingest.py --embedded)
# and the backlog, durable in raw_event, is worked off at full speed once the burst ends.
# Below that rate it does not sleep: a steady stream is processed as it comes.
PROCESSING_YIELD_RATIO = 3.0
PROCESSING_YIELD_ABOVE_PER_S = 200.0
# One ingest run hands over to the other waiting jobs after this long (a backlog of deliveries
# would otherwise keep a worker busy for as long as it lasts, and CRM writes would wait).
INGEST_RUN_S = 5.0

# How often the embedded scheduler runs the sweeper, and pulls the CRM mirror.
SWEEP_EVERY_S = 10.0
PULL_EVERY_S = 300.0
# A hand-off is written this long after it was made, with every hand-off made meanwhile: in a
# stream that is one call per few seconds instead of one per hand-off, and it still reaches
# the CRM within ~5 s (this, plus a scheduler tick, plus the call).
SYNC_URGENT_S = 2.0
# A sync pass is cheap when nothing is due (one indexed query, no CRM call), and news that
# waited out ENRICH_SYNC_WINDOW_S goes out at the next tick: within the window + 2 s.
SYNC_EVERY_S = 2.0
DECAY_EVERY_S = 24 * 3600.0
# Lead-form responses waiting to be read (or a CRM Lead to be made) are looked for this often:
# one indexed query when none waits; a lead reaches the CRM within a tick plus its calls.
LEADS_EVERY_S = 2.0
# The catch-up lists each configured form's / owner's leads this often, from its watermark
# less the overlap: leads can show up in a listing after the time the last run listed up to.
# One call per 100 leads of the window, so a day of overlap on an hourly run costs little.
LEADS_CATCHUP_EVERY_S = 3600.0
LEAD_CATCHUP_OVERLAP = timedelta(days=1)
RETENTION_EVERY_S = 24 * 3600.0
# The search for duplicate CRM records: a no-op (two index lookups) unless the mirror or the
# rules moved; ~1 min of a worker at a million records when they did, so not after every pull.
DUPLICATES_EVERY_S = 900.0

# CRM batch limits (protocols/crm.md): Salesforce sObject Collections 200, HubSpot batch 100.
SALESFORCE_BATCH = 200
HUBSPOT_BATCH = 100
# HubSpot search pages hold at most 200 results; list pages at most 100.
HUBSPOT_PAGE = 100

# `enrich match` indexes and decides in one process per core (the parent and forked helpers,
# up to this many) when a side has PARALLEL_FROM records or more: on FEBRL4's 5,000 records
# two processes cut indexing from ~0.16 s to ~0.11 s and deciding from ~0.78 s to ~0.47 s
# (bench/README.md). A fork costs a few ms; the cut-off of 1,000 is a round guess below which
# that is not worth it (not measured).
MAX_AUTO_WORKERS = 4
PARALLEL_FROM = 1000

# Failed console sign-ins counted per IP + email over this window (5 lock it); the daily
# retention job drops older ones.
SIGN_IN_FAILURE_WINDOW = timedelta(minutes=15)
