"""Quality records in Avro (``schemas/quality/window.avsc``) on ``<namespace>.quality`` (pure)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import schemas
from streams.quality.windows import QualityRecord

SCHEMA_FILE = schemas.SCHEMA_DIR / "quality" / "window.avsc"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def quality_topic(namespace: str) -> str:
    return f"{namespace}.quality"


def subject(namespace: str) -> str:
    return f"{quality_topic(namespace)}-value"


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def instant(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def message_key(r: QualityRecord) -> bytes:
    """Kafka key of a window's records: later revisions of a window follow earlier ones in one partition."""
    return f"{r.dataset}|{r.source_system}|{r.window_start_ms}".encode()


def to_avro(r: QualityRecord) -> dict[str, Any]:
    f = r.freshness
    return {"dataset": r.dataset, "source_system": r.source_system, "window_start": instant(r.window_start_ms),
            "window_end": instant(r.window_end_ms), "revision": r.revision, "received": r.received,
            "valid": r.valid, "rejected": r.rejected, "rejected_by_reason": dict(r.rejected_by_reason),
            "records": r.records, "completeness": dict(r.completeness),
            "freshness": {"count": f.count, "p50_ms": f.p50_ms, "p95_ms": f.p95_ms, "max_ms": f.max_ms}}
