"""Each partition of each table gets bounded RocksDB memory, not faust's 2 GiB cache and 3 × 64 MiB memtables."""

from __future__ import annotations

from pathlib import Path

import faust

from streams.tables import BLOCK_CACHE_BYTES, MEMTABLE_BYTES, MEMTABLES, store_options


def test_a_table_declared_with_the_store_options_opens_rocksdb_with_them(tmp_path: Path) -> None:
    app = faust.App("t-tables", broker="kafka://127.0.0.1:1", store="rocksdb://", datadir=str(tmp_path),
                    web_enabled=False)
    table = app.Table("keys", key_type=bytes, value_type=bytes, options=store_options())
    options = table.data.rocksdb_options
    assert (options.write_buffer_size, options.max_write_buffer_number, options.block_cache_size) == (
        MEMTABLE_BYTES, MEMTABLES, BLOCK_CACHE_BYTES)
    default = app.Table("other", key_type=bytes, value_type=bytes).data.rocksdb_options
    assert default.block_cache_size > 100 * BLOCK_CACHE_BYTES  # what faust would have used


def test_every_table_gets_a_dict_of_its_own() -> None:
    first = store_options()
    first.pop("write_buffer_size")  # as faust's store does
    assert store_options()["write_buffer_size"] == MEMTABLE_BYTES
