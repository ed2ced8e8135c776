"""The file loader on a real broker: the raw topic ends with exactly the valid rows (decoded with the registry's
schemas), the rejects file lists the invalid lines with their reasons — through the API and through ``hub load``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from typer.testing import CliRunner

from hub import wire
from hub.catalogue import load_catalogue
from hub.settings import KafkaSettings
from hub.topics import ensure_topics
from producers.cli import app
from producers.loader import LoadSummary, SourceFile, load, load_mapping
from producers.sdk import HubProducer
from registry.store import KafkaSchemaStore

DATASET = "population.citizen"
MAPPING = """\
fields:
  cccd: Số định danh
  full_name: Họ và tên
  date_of_birth: Ngày sinh
  sex: Giới tính
  permanent_address.line: Địa chỉ thường trú
  permanent_address.ward_code: Mã xã
  permanent_address.province_code: Mã tỉnh
  ethnicity: Dân tộc
  phone: Điện thoại
"""
HEADER = "Số định danh;Họ và tên;Ngày sinh;Giới tính;Địa chỉ thường trú;Mã xã;Mã tỉnh;Dân tộc;Điện thoại"


def read_events(bootstrap: str, topic: str, store: KafkaSchemaStore) -> list[dict[str, Any]]:
    """Every event of ``topic``, decoded with the writer schemas from the registry topic, by partition and offset."""
    cache = wire.SchemaCache(store.schema)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader", "enable.auto.commit": False})
    events: list[dict[str, Any]] = []
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        left, idle = sum(ends.values()), 0
        while left:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                assert idle < 30, f"reading {topic} stalled with {left} messages left"
                continue
            assert msg.error() is None, msg.error()
            _, event = cache.decode(msg.value())
            assert msg.key() == event["key"].encode()
            events.append(event)
            left -= 1
    finally:
        consumer.close()
    return events


def citizen_row(i: int) -> str:
    return f"0010900{i:05d};Nguyễn Văn An {i};1990-05-01;MALE;{i} Tràng Tiền, Hoàn Kiếm;00070;01;Kinh;"


def test_the_topic_ends_with_exactly_the_valid_rows(kafka: KafkaSettings, namespace: str, tmp_path: Path) -> None:
    catalogue = load_catalogue()
    dataset = catalogue.get(DATASET)
    topic = dataset.topics(namespace).raw
    ensure_topics(kafka, [topic])
    lines = [HEADER,
             "001090000001;Nguyễn Văn An;1990-05-01;MALE;12 Tràng Tiền, Hoàn Kiếm;00070;01;Kinh;",
             "079185000002;Trần Thị Bích Ngọc;1985-12-31;NỮ;45 Lê Lợi, Bến Nghé;;79;Kinh;0903123456",
             "027200000003;Lê Hoàng Phúc;15/01/2000;MALE;Thôn Đông, xã Yên Phong;;27;Kinh;",
             "046199000004;Hoàng Đức Thắng;1999-09-09;MALE;7 Trần Phú, Hải Châu;;48;Kinh;0935000111",
             "001090000005;Phạm Thị Hương;1960-12-01;FEMALE;88 Hùng Vương;;;Kinh"]
    source_path, rejects_path = tmp_path / "dan_cu.csv", tmp_path / "rejects.jsonl"
    source_path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{namespace}")
    producer = HubProducer(kafka.bootstrap_servers, namespace, catalogue, store, system="dancu-export",
                           spool_dir=tmp_path / "spool")
    try:
        with SourceFile(source_path, dataset, load_mapping(dataset, MAPPING), delimiter=";") as source, \
                rejects_path.open("w", encoding="utf-8") as rejects:
            summary = load(source, producer, DATASET, "r", rejects)
        producer.close()
        events = read_events(kafka.bootstrap_servers, topic, store)
    finally:
        store.close()
    found = sorted((e["key"], e["op"], e["after"], e["source"]) for e in events)
    assert found == [
        ("001090000001", "r", {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1),
                               "sex": "MALE", "place_of_origin": None,
                               "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "ward_code": "00070",
                                                     "province_code": "01"},
                               "ethnicity": "Kinh", "nationality": "VN", "phone": None},
         {"ministry": "BCA", "system": "dancu-export", "position": 2}),
        ("046199000004", "r", {"cccd": "046199000004", "full_name": "Hoàng Đức Thắng",
                               "date_of_birth": date(1999, 9, 9), "sex": "MALE", "place_of_origin": None,
                               "permanent_address": {"line": "7 Trần Phú, Hải Châu", "ward_code": None,
                                                     "province_code": "48"},
                               "ethnicity": "Kinh", "nationality": "VN", "phone": "0935000111"},
         {"ministry": "BCA", "system": "dancu-export", "position": 5}),
    ]
    assert [json.loads(line) for line in rejects_path.read_text(encoding="utf-8").splitlines()] == [
        {"line": 3, "errors": [{"path": "sex", "rule": "enum", "expected": "enum Sex", "actual": "str",
                                "detail": "one of MALE, FEMALE"}]},
        {"line": 4, "errors": [{"path": "date_of_birth", "rule": "logical_type", "expected": "date", "actual": "str",
                                "detail": "ISO date YYYY-MM-DD"}]},
        {"line": 6, "errors": [{"path": "", "rule": "columns", "expected": "9 cells", "actual": "8 cells",
                                "detail": ""}]},
    ]
    assert summary == LoadSummary(rows=5, sent=2, spooled=0, rejected=3,
                                  rejected_by_rule={"columns": 1, "enum": 1, "logical_type": 1},
                                  elapsed_s=summary.elapsed_s)


def test_hub_load_command(kafka: KafkaSettings, namespace: str, tmp_path: Path) -> None:
    topic = load_catalogue().get(DATASET).topics(namespace).raw
    ensure_topics(kafka, [topic])
    rows = [citizen_row(i) for i in range(1, 3001)]
    rows[999] = rows[999].replace("1990-05-01", "1990-02-30")  # line 1001
    rows[1999] = rows[1999].replace("MALE", "NAM")  # line 2001
    rows[2499] = rows[2499].replace("1990-05-01", "")  # line 2501
    source = tmp_path / "dan_cu.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    env = {"HUB_KAFKA_BOOTSTRAP": kafka.bootstrap_servers, "HUB_NAMESPACE": namespace,
           "HUB_REGISTRY_TOPIC": f"_schemas_{namespace}", "HUB_DATA_DIR": str(tmp_path / "hub")}
    result = CliRunner().invoke(app, ["load", "--dataset", DATASET, "--mapping", str(tmp_path / "mapping.yaml"),
                                      "--op", "c", "--delimiter", ";", "--rejects", str(tmp_path / "rejects.jsonl"),
                                      str(source)], env=env)
    assert result.exit_code == 1, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[:6] == ["rows read 3,000", "sent (acknowledged) 2,997", "rejected 3", "enum 1", "logical_type 1",
                         "required 1"]
    assert [json.loads(line)["line"] for line in (tmp_path / "rejects.jsonl").read_text().splitlines()] == [
        1001, 2001, 2501]
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{namespace}")
    try:
        events = read_events(kafka.bootstrap_servers, topic, store)
    finally:
        store.close()
    expected = {f"0010900{i:05d}" for i in range(1, 3001)} - {"001090001000", "001090002000", "001090002500"}
    assert (sorted(e["key"] for e in events), {e["op"] for e in events}) == (sorted(expected), {"c"})
