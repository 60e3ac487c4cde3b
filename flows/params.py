"""The parameters of a run: one pydantic model, so the Prefect UI's Custom run form shows each
field with its description and rejects out-of-range values before a run starts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RunParameters(BaseModel):
    """What to process and where to publish it."""

    model_config = ConfigDict(extra="forbid")

    inputs: Annotated[list[str], Field(min_length=1, description="Landing files or folders (read recursively).")] = [
        "samples/landing"
    ]
    data_dir: Annotated[
        str, Field(min_length=1, description="Warehouse directory: lake/, warehouse.duckdb, runs' Prefect home.")
    ] = "data/nightly"
    since: Annotated[date | None, Field(description="Only articles published on or after this date (backfills).")] = (
        None
    )
    until: Annotated[date | None, Field(description="Only articles published on or before this date (backfills).")] = (
        None
    )
    outlets: Annotated[list[str], Field(description="Only these outlets (empty: all).")] = []
    dedup_threshold: Annotated[
        float,
        Field(
            ge=0.5,
            le=1.0,
            description=(
                "Estimated body Jaccard (5-word shingles) at which a copy joins on the body alone; lower copies "
                "need the lead check (tasks/dedup.py: DedupSettings)."
            ),
        ),
    ] = 0.9
    full_refresh: Annotated[
        bool, Field(description="Rebuild the whole warehouse from the landing area (ignore what was processed before).")
    ] = False
    dry_run: Annotated[bool, Field(description="Validate but publish nothing.")] = False
    batch_size: Annotated[
        int | None,
        Field(
            ge=100,
            le=50_000,
            description="Records per partition handed to each stage (empty: the AKHBAR_BATCH_SIZE setting, 2,000).",
        ),
    ] = None
    fields: Annotated[dict[str, str], Field(description="JSON field overrides, e.g. {\"text\": \"body_html\"}.")] = {}

    @model_validator(mode="after")
    def _range(self) -> RunParameters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        from akhbar.settings import FieldMap

        unknown = set(self.fields) - set(FieldMap.model_fields)
        if unknown:
            raise ValueError(f"unknown field override(s) {sorted(unknown)}; known: {', '.join(FieldMap.model_fields)}")
        return self
