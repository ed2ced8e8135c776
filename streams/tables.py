"""How much memory each table partition's RocksDB may hold, and reading and writing a table of raw bytes
without faust's per-key layers.

faust opens one RocksDB per partition of each table and, by default, gives every one of them a 2 GiB block
cache of its own and up to three 64 MiB memtables. A worker holds about fourteen tables of four partitions,
so its memory grew with its state until those filled: 490 MB at half of the 1M-event benchmark, 1,360 MB at
the end. These sizes bound a partition at 2 × 4 MiB of memtables and an 8 MiB block cache (about 900 MB for
every partition of every table at worst, far less in practice: small tables never fill theirs). The state is
written to disk either way; smaller memtables only flush sooner.
"""

from __future__ import annotations

from typing import Any

from faust.stores.rocksdb import Store as RocksDBStore

MEMTABLE_BYTES = 4 << 20
MEMTABLES = 2
BLOCK_CACHE_BYTES = 8 << 20


def store_options() -> dict[str, Any]:
    """The ``options`` of a table: a new dict each time, because faust's store takes keys out of it."""
    return {"write_buffer_size": MEMTABLE_BYTES, "max_write_buffer_number": MEMTABLES,
            "block_cache_size": BLOCK_CACHE_BYTES, "target_file_size_base": 4 * MEMTABLE_BYTES}


def read(table: Any, key: bytes) -> bytes | None:
    """``table.get(key)`` for a faust table of raw bytes (``key_serializer`` and ``value_serializer`` "raw").

    On RocksDB, faust's ``get`` reads the store twice for a key it holds (``in``, then ``[]``), raises and
    catches ``KeyError`` for one it does not, and serializes the key twice on the way. This is one read of
    the partition store of faust's current event (every store of a global table), like faust's own read.
    Other stores (memory, the tests' fakes) take ``table.get``."""
    store = getattr(table, "data", None)
    if isinstance(store, RocksDBStore):
        return store._get(key)  # type: ignore[no-any-return]
    return table.get(key)  # type: ignore[no-any-return]


def write(table: Any, key: bytes, value: bytes) -> None:
    """``table[key] = value`` for a faust table of raw bytes: faust's ``on_key_set`` (the changelog record,
    :mod:`streams.changelog`), then the store's write, without serializing key and value through faust's
    registry on the way (raw bytes are themselves). Other stores take ``table[key] = value``."""
    store = getattr(table, "data", None)
    if isinstance(store, RocksDBStore):
        table.on_key_set(key, value)
        store._set(key, value)
    else:
        table[key] = value
