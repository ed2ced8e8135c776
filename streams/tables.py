"""How much memory each table partition's RocksDB may hold (pure).

faust opens one RocksDB per partition of each table and, by default, gives every one of them a 2 GiB block
cache of its own and up to three 64 MiB memtables. A worker holds about fourteen tables of four partitions,
so its memory grew with its state until those filled: 490 MB at half of the 1M-event benchmark, 1,360 MB at
the end. These sizes bound a partition at 2 × 4 MiB of memtables and an 8 MiB block cache (about 900 MB for
every partition of every table at worst, far less in practice: small tables never fill theirs). The state is
written to disk either way; smaller memtables only flush sooner.
"""

from __future__ import annotations

from typing import Any

MEMTABLE_BYTES = 4 << 20
MEMTABLES = 2
BLOCK_CACHE_BYTES = 8 << 20


def store_options() -> dict[str, Any]:
    """The ``options`` of a table: a new dict each time, because faust's store takes keys out of it."""
    return {"write_buffer_size": MEMTABLE_BYTES, "max_write_buffer_number": MEMTABLES,
            "block_cache_size": BLOCK_CACHE_BYTES, "target_file_size_base": 4 * MEMTABLE_BYTES}
