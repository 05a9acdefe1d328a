"""RawEvent → social profiles and touchpoints, one module per source format.

Each normaliser is a pure function `(raw: RawEventView) -> Normalized`; a failure in one item of a
multi-event delivery is recorded in `Normalized.errors` and does not lose the others. What they
share is in `base.py`; this module picks the normaliser of a delivery's source.
"""

from __future__ import annotations

from collections.abc import Callable

from enrich.normalize import linkedin, meta, standard, x
from enrich.normalize.base import (
    EARLIEST,
    KIND_ALIASES,
    KINDS,
    LeadRef,
    Normalized,
    ProfileData,
    RawEventView,
    TouchpointData,
    canonical_kind,
    parse_time,
    plausible,
    web_url,
    website_text,
)

__all__ = [
    "EARLIEST",
    "KINDS",
    "KIND_ALIASES",
    "LeadRef",
    "Normalized",
    "Normalizer",
    "ProfileData",
    "RawEventView",
    "TouchpointData",
    "canonical_kind",
    "normalize",
    "normalizer_for",
    "parse_time",
    "plausible",
    "web_url",
    "website_text",
]

Normalizer = Callable[[RawEventView], Normalized]


_REGISTRY: dict[str, Normalizer] = {
    "standard": standard.normalize,
    "import": standard.normalize,
    "x": x.normalize,
    "meta": meta.normalize,
    "linkedin": linkedin.normalize,
}


def normalizer_for(source: str) -> Normalizer:
    prefix = source.split(":", 1)[0]
    if prefix not in _REGISTRY:
        raise ValueError(f"no normaliser for source {source!r}")
    return _REGISTRY[prefix]


def normalize(raw: RawEventView) -> Normalized:
    return normalizer_for(raw.source)(raw)
