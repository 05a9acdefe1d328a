"""What the console's pages and the JSON API both do, once: people, the review queue and the
decisions on links, rules and their calibration, privacy requests, sync health, API tokens,
dashboard figures. Functions take an engine (or a session) and plain values and return plain
data; `enrich/console/` renders them as pages, `enrich/api/` as JSON."""
