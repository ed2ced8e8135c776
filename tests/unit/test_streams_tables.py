"""The worker's RocksDB stores share one bounded block cache and one memtable budget, not faust's 2 GiB cache
and 3 × 64 MiB memtables for each partition of each table."""

from __future__ import annotations

from pathlib import Path

import faust
from faust.stores.rocksdb import RocksDBOptions

from streams.tables import (BLOCK_CACHE_BYTES, MEMTABLE_BUDGET_BYTES, MEMTABLE_BYTES, MEMTABLES, share_memory,
                            shared_usage, store_options)


def test_a_table_declared_with_the_store_options_opens_rocksdb_with_them(tmp_path: Path) -> None:
    app = faust.App("t-tables", broker="kafka://127.0.0.1:1", store="rocksdb://", datadir=str(tmp_path),
                    web_enabled=False)
    table = app.Table("keys", key_type=bytes, value_type=bytes, options=store_options())
    options = table.data.rocksdb_options
    assert (options.write_buffer_size, options.max_write_buffer_number) == (MEMTABLE_BYTES, MEMTABLES)
    default = app.Table("other", key_type=bytes, value_type=bytes).data.rocksdb_options
    assert default.write_buffer_size > 10 * MEMTABLE_BYTES  # what faust would have used


def test_every_table_gets_a_dict_of_its_own() -> None:
    first = store_options()
    first.pop("write_buffer_size")  # as faust's store does
    assert store_options()["write_buffer_size"] == MEMTABLE_BYTES


def test_stores_opened_after_sharing_count_their_memtables_and_blocks_in_the_shared_budget(tmp_path: Path) -> None:
    share_memory()
    share_memory()  # once per process
    before = shared_usage()
    assert before is not None
    dbs = [RocksDBOptions(**store_options()).open(tmp_path / f"p{i}") for i in range(3)]
    value = bytes(range(256)) * 64  # 16 KiB
    for db in dbs:
        for i in range(64):
            db[f"key-{i}".encode()] = value
    cache, memtables = shared_usage() or (0, 0)
    assert memtables >= before[1] + 3 * 64 * len(value)  # all three stores' writes, in the one budget
    assert memtables <= MEMTABLE_BUDGET_BYTES
    for db in dbs:
        db.flush()
        assert db[b"key-7"] == value  # read back through the shared cache
    assert 0 < shared_usage()[0] <= BLOCK_CACHE_BYTES  # type: ignore[index]
    for db in dbs:
        db.close()
