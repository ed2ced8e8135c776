"""How much memory the worker's RocksDB stores may hold together, and reading and writing a table of raw
bytes without faust's per-key layers.

faust opens one RocksDB per partition of each table and, by default, gives every one of them a 2 GiB block
cache of its own and up to three 64 MiB memtables. A worker holds about fourteen tables of four partitions,
so its memory grew with its state until those filled: 490 MB at half of the 1M-event benchmark, 1,360 MB at
the end. Per-partition bounds (2 × 4 MiB of memtables and an 8 MiB block cache) still let it grow with the
state, up to about 900 MB: 474 MB at half, 616 MB at the end. :func:`share_memory` gives every store of the
worker one block cache (:data:`BLOCK_CACHE_BYTES`) and one memtable budget (:data:`MEMTABLE_BUDGET_BYTES`,
past which RocksDB flushes the largest memtable), so that RocksDB's part of the worker's memory stays
under their sum whatever the number of tables, partitions and keys. The state is written to disk either
way; reads of blocks that are not cached come from the OS's page cache.
"""

from __future__ import annotations

from typing import Any

from faust.stores.rocksdb import RocksDBOptions
from faust.stores.rocksdb import Store as RocksDBStore

MEMTABLE_BYTES = 4 << 20
MEMTABLES = 2
BLOCK_CACHE_BYTES = 64 << 20
"""The one block cache of every store of the worker."""
MEMTABLE_BUDGET_BYTES = 64 << 20
"""The memtables of every store of the worker together."""


_shared: list[Any] = []  # the block cache and the memtable budget, once shared


def share_memory() -> None:
    """Make every RocksDB store faust opens from now on share one block cache and one memtable budget
    (once per process; stores of ``rocksdict``, faust's default when it is installed)."""
    if _shared:
        return
    try:
        import rocksdict
    except ImportError:  # faust's tables are then kept in memory (streams.app.default_store)
        return

    cache = rocksdict.Cache(BLOCK_CACHE_BYTES)
    budget = rocksdict.WriteBufferManager(MEMTABLE_BUDGET_BYTES, False)
    _shared.extend((cache, budget))
    original = RocksDBOptions.as_options

    def as_options(self: RocksDBOptions) -> Any:
        options = original(self)
        if self.use_rocksdict:
            table = rocksdict.BlockBasedOptions()
            table.set_bloom_filter(self.bloom_filter_size, block_based=True)
            table.set_block_cache(cache)
            table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
            options.set_block_based_table_factory(table)
            options.set_write_buffer_manager(budget)
        return options

    RocksDBOptions.as_options = as_options  # type: ignore[method-assign]


def shared_usage() -> tuple[int, int] | None:
    """Bytes in the shared block cache and in the memtables of every store (None before
    :func:`share_memory`)."""
    return (_shared[0].get_usage(), _shared[1].get_usage()) if _shared else None


def store_options() -> dict[str, Any]:
    """The ``options`` of a table: a new dict each time, because faust's store takes keys out of it."""
    return {"write_buffer_size": MEMTABLE_BYTES, "max_write_buffer_number": MEMTABLES,
            "target_file_size_base": 4 * MEMTABLE_BYTES}


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
