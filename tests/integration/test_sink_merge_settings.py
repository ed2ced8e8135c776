"""The sink's tables on chdb merge vertically, including tables an older hub created."""

from __future__ import annotations

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings
from sinks.clickhouse import ClickHouseWriter
from sinks.ddl import MERGE_SETTINGS, current_table, history_table
from sinks.targets import all_targets


def _settings_of(writer: ClickHouseWriter, database: str) -> dict[str, str]:
    rows = writer.client.query("SELECT name, engine_full FROM system.tables WHERE database = {db:String}",
                               parameters={"db": database}).result_rows
    return {str(name): str(engine) for name, engine in rows}


def test_every_history_and_current_table_gets_the_merge_settings_even_if_made_without_them(
        hub_settings: HubSettings, chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    tables = [t for target in all_targets(catalogue) for t in (history_table(target), current_table(target))]
    wanted = [f"{name} = {value}" for name, value in MERGE_SETTINGS.items()]
    # As a hub before the settings left them: the engine's defaults.
    for table in ("golden_citizen_history", "golden_enterprise_current"):
        writer.client.command(f"ALTER TABLE `{database}`.`{table}` RESET SETTING {', '.join(MERGE_SETTINGS)}")
    before = _settings_of(writer, database)
    assert not any(w in before["golden_citizen_history"] for w in wanted), before["golden_citizen_history"]

    writer.ensure_tables()

    after = _settings_of(writer, database)
    assert {t: [w for w in wanted if w not in after[t]] for t in tables} == {t: [] for t in tables}
