"""What became of each record in one sync run: one outcome per record, gathered in a report.

Each write (a record's fields, its activities, its hand-off) reports what happened to it; a
record's outcome is the worst of its writes. At the end of the run the writer settles every
claimed record from its outcome alone (writer._settle): that is where requests are dropped,
backed off or dead-lettered, and nowhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from enrich.errors import CRMError, CRMPermanent, CRMRateLimited


class Outcome(IntEnum):
    """Ordered from best to worst: a record takes the worst outcome of its writes."""

    DONE = 0  # written, or nothing (left) to write: its request is dropped
    UNSENT = 1  # not sent: a batch before it was refused for now; waits, spends no attempt
    RETRY = 2  # sent and refused for now, or its answer was lost: waits, spends an attempt
    DEAD = 3  # refused for good: dead-lettered, its request dropped


@dataclass
class RecordOutcome:
    outcome: Outcome = Outcome.DONE
    wait_s: float = 0.0  # the longest wait the CRM asked for (Retry-After); 0: none said
    error: str = ""
    payload: dict[str, Any] | None = None  # what a dead letter keeps for the person replaying


@dataclass
class RunReport:
    claimed: dict[int, datetime]  # record id -> its request's requested_at when claimed
    # Claimed for a hand-off alone: record id -> when its routine news is due (not yet).
    handoff_only: dict[int, datetime] = field(default_factory=dict)
    records: dict[int, RecordOutcome] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)  # nothing of ours to write on them
    written: int = 0  # records whose fields were written
    unchanged: int = 0  # records with no field to write
    activities: int = 0
    handoffs: int = 0
    calls: int = 0
    # Seconds the oldest hand-off written had waited since it was made (the log's account of
    # where urgent latency goes: waiting for a pass, or the pass itself).
    handoff_waited_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per phase
    lap_at: float = field(default_factory=time.monotonic)  # when the last lap ended

    def lap(self, phase: str) -> None:
        """The time since the last lap was spent in `phase`."""
        now = time.monotonic()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.lap_at
        self.lap_at = now

    def note(
        self,
        record_id: int,
        outcome: Outcome,
        *,
        wait_s: float = 0.0,
        error: str = "",
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Record one write's outcome; the record keeps the worst."""
        current = self.records.setdefault(record_id, RecordOutcome())
        current.wait_s = max(current.wait_s, wait_s)
        if outcome >= current.outcome and outcome is not Outcome.DONE:
            current.outcome, current.error = outcome, error or current.error
            current.payload = payload if payload is not None else current.payload

    def failed(self, record_ids: list[int], exc: CRMError) -> None:
        """A whole call failed: refused for good, or to be tried again (after the wait the
        CRM asked for, which is no fault of the records)."""
        wait = exc.retry_after if isinstance(exc, CRMRateLimited) else 0.0
        outcome = Outcome.DEAD if isinstance(exc, CRMPermanent) else Outcome.RETRY
        for record_id in record_ids:
            self.note(record_id, outcome, wait_s=wait, error=str(exc))

    def outcome(self, record_id: int) -> RecordOutcome:
        return self.records.get(record_id) or RecordOutcome()

    def open(self, *, routine: bool = False) -> list[int]:
        """Records every write so far went through for: the next kind of write is theirs
        (`routine`: only those whose routine news is due, not those taken for a hand-off)."""
        return sorted(
            r
            for r in self.claimed
            if r not in self.skipped
            and self.outcome(r).outcome is Outcome.DONE
            and not (routine and r in self.handoff_only)
        )

    def stats(self) -> dict[str, int]:
        outcomes = [self.outcome(r).outcome for r in self.claimed]
        return {
            "records": len(self.claimed),
            "written": self.written,
            "unchanged": self.unchanged,
            "failed": outcomes.count(Outcome.DEAD),
            "deferred": outcomes.count(Outcome.RETRY) + outcomes.count(Outcome.UNSENT),
            "activities": self.activities,
            "handoffs": self.handoffs,
            "calls": self.calls,
        }
