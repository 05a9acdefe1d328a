"""Where the lead catch-up of each form and owner stands (`enrich.leads.catchup`). Its own
module, kept free of enrich imports, so `enrich.models` can register it without a cycle."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class LeadCatchup(SQLModel, table=True):
    """Where the catch-up of one Meta form or LinkedIn owner stands: leads submitted before
    `watermark` were listed (the next run starts an overlap earlier); a refused token or
    permission parks it (`status`) until a person fixes it and runs `enrich leads catch-up`."""

    __tablename__ = "lead_catchup"
    __table_args__ = (UniqueConstraint("source", "scope", name="uq_lead_catchup"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # meta, linkedin
    scope: str = Field(max_length=200)  # Meta form id; LinkedIn owner URN
    account: str | None = Field(default=None, max_length=200)  # Meta Page
    watermark: datetime | None = None
    status: str = Field(default="ok", max_length=20)  # ok, or the LeadStatus it is parked as
    error: str | None = Field(default=None, sa_column=Column(Text))
    next_run_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    last_run_at: datetime | None = None
    found: int = 0  # leads the last complete run listed
    added: int = 0  # of which no delivery had named
