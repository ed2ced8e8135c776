"""The schema of a dataset's clean topic: its catalogue envelope, plus the fields the hub adds (pure).

The clean record is the catalogue record after cleaning, plus one optional field per administrative code
that may be mapped from a pre-July-2025 code (:func:`streams.rules.records.original_code_fields`): the code
the event arrived with, or null when it was already a 2025 code. Sources never send these fields (the raw
topics keep the catalogue's schema); the sink adds them as columns (``original_permanent_address_ward_code``
beside ``permanent_address_ward_code``) from the clean topic's writer schema.

The clean schema is registered under ``<clean topic>-value``; every clean message is framed with its id.
"""

from __future__ import annotations

import copy
from typing import Any

from hub.catalogue import Dataset
from streams.rules.records import original_code_fields


def clean_subject(dataset: Dataset, namespace: str) -> str:
    return f"{dataset.topics(namespace).clean}-value"


def _original_field(path: str, name: str, field_name: str) -> dict[str, Any]:
    where = f"{path}.{name}" if path else name
    return {"name": field_name, "type": ["null", "string"], "default": None,
            "doc": f"The {where} the event arrived with, when it was a code from before the July 2025 reform "
                   f"and {where} holds the 2025 code it maps to; null when it needed no mapping. Added by the hub. "
                   f"Mã ban đầu của {where} trước khi chuyển sang mã đơn vị hành chính năm 2025; "
                   f"để trống nếu không phải chuyển."}


def clean_record_schema(dataset: Dataset) -> dict[str, Any]:
    """The dataset's record schema with the hub's ``original_*`` fields appended."""
    record = copy.deepcopy(dataset.record_schema)
    record["fields"] += [_original_field(*f) for f in original_code_fields(dataset.name)]
    return record


def clean_envelope_schema(dataset: Dataset) -> dict[str, Any]:
    """The dataset's envelope schema whose ``after`` is :func:`clean_record_schema`."""
    envelope = copy.deepcopy(dataset.envelope_schema)
    record = clean_record_schema(dataset)
    for f in envelope["fields"]:
        if f["name"] == "after":
            f["type"] = ["null" if t == "null" else record for t in f["type"]]
    return envelope
