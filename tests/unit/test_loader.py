"""The file loader: mapping and coercion (pure, table-driven), the file shell against the fake producer, the CLI's
fatal paths. No network."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.catalogue import load_catalogue
from producers.cli import app
from producers.loader import (
    FieldMap,
    Leaf,
    LoaderError,
    LoadSummary,
    Mapped,
    Rejected,
    RowMapper,
    SourceFile,
    coerce,
    header_mapping,
    leaf_fields,
    load,
    load_mapping,
)
from producers.validation import FieldError
from tests.unit.fakes_producer import REFUSED, Emitted, FakeProducer

CATALOGUE = load_catalogue()
CITIZEN = CATALOGUE.get("population.citizen")
PARCEL = CATALOGUE.get("land.parcel")
LEAVES = {d.name: leaf_fields(d.record_schema)[0] for d in CATALOGUE}

MAPPING = """\
dataset: population.citizen
fields:
  cccd: so_dinh_danh
  full_name: ho_va_ten
  date_of_birth: ngay_sinh
  sex: gioi_tinh
  place_of_origin: que_quan
  permanent_address.line: dia_chi
  permanent_address.ward_code: ma_xa
  permanent_address.province_code: ma_tinh
  ethnicity: dan_toc
  phone: so_dien_thoai
"""
ROW = {"so_dinh_danh": "001090000001", "ho_va_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-01", "gioi_tinh": "MALE",
       "que_quan": "Xã Đông Ngạc, Hà Nội", "dia_chi": "12 Tràng Tiền, Hoàn Kiếm", "ma_xa": "", "ma_tinh": "01",
       "dan_toc": "Kinh", "so_dien_thoai": ""}
RECORD = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
          "place_of_origin": "Xã Đông Ngạc, Hà Nội",
          "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "ward_code": None, "province_code": "01"},
          "ethnicity": "Kinh", "nationality": "VN", "phone": None}


def error(path: str, rule: str, expected: str, actual: str, detail: str = "") -> FieldError:
    return FieldError(path, rule, expected, actual, detail)


# -- coercion of CSV cells ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dataset", "path", "cell", "expected"),
    [
        ("land.parcel", "map_sheet_number", "12", (12, None)),
        ("land.parcel", "map_sheet_number", " 7 ", (7, None)),
        ("land.parcel", "parcel_number", "-3", (-3, None)),
        ("land.parcel", "map_sheet_number", "7,5",
         ("7,5", error("map_sheet_number", "type", "int", "str", "CSV cell must be a whole number"))),
        ("land.parcel", "map_sheet_number", "١٢",  # Arabic-Indic digits are not a whole number here
         ("١٢", error("map_sheet_number", "type", "int", "str", "CSV cell must be a whole number"))),
        ("land.parcel", "map_sheet_number", "", ("", error("map_sheet_number", "required", "int", "empty"))),
        ("land.parcel", "area_m2", " 152.5 ", ("152.5", None)),
        ("land.parcel", "certificate_issue_date", "", (None, None)),
        ("land.parcel", "owner_kind", "CITIZEN", ("CITIZEN", None)),
        ("enterprise.registration", "state_owned", "có", (True, None)),
        ("enterprise.registration", "state_owned", "Không", (False, None)),
        ("enterprise.registration", "state_owned", "TRUE", (True, None)),
        ("enterprise.registration", "state_owned", "0", (False, None)),
        ("enterprise.registration", "state_owned", "nhà nước",
         ("nhà nước", error("state_owned", "type", "boolean", "str",
                            "CSV cell must be true/false, 1/0, yes/no, có/không"))),
        ("enterprise.registration", "charter_capital", "5000000000", ("5000000000", None)),
        ("enterprise.registration", "charter_capital", "", ("", error("charter_capital", "required",
                                                                       "decimal(20,0)", "empty"))),
        ("enterprise.registration", "head_office_address.ward_code", "", (None, None)),
        ("population.citizen", "full_name", "Trần Thị Bích Ngọc", ("Trần Thị Bích Ngọc", None)),
        ("population.citizen", "full_name", " Lê Hoàng Phúc ", (" Lê Hoàng Phúc ", None)),  # text kept as is
        ("population.citizen", "full_name", "", ("", None)),  # a required string may be empty
        ("population.citizen", "phone", "", (None, None)),
        ("population.citizen", "place_of_origin", "", (None, None)),
        ("population.citizen", "date_of_birth", " 1990-05-01 ", ("1990-05-01", None)),
        ("social_insurance.participant", "monthly_contribution_base", "", (None, None)),
        ("social_insurance.participant", "monthly_contribution_base", "5310000", ("5310000", None)),
        ("civil_status.event", "occurred_at", "2025-03-01T08:30:00+07:00", ("2025-03-01T08:30:00+07:00", None)),
    ],
)
def test_csv_cells_are_coerced_by_the_fields_type(dataset: str, path: str, cell: str, expected: tuple) -> None:
    assert coerce(LEAVES[dataset][path], cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("3.5", (3.5, None)), ("-1e3", (-1000.0, None)), (".5", (0.5, None)),
     ("nan", ("nan", error("x", "type", "double", "str", "CSV cell must be a finite number"))),
     ("1_0", ("1_0", error("x", "type", "double", "str", "CSV cell must be a finite number"))),
     ("1e999", ("1e999", error("x", "type", "double", "str", "CSV cell must be a finite number")))],
)
def test_double_cells(cell: str, expected: tuple) -> None:
    assert coerce(Leaf("x", "float", "double", nullable=False, required=True), cell) == expected


# -- rows to records --------------------------------------------------------------------------------
def test_a_row_maps_to_the_key_and_the_normalised_record() -> None:
    mapper = RowMapper(CITIZEN, load_mapping(CITIZEN, MAPPING), cells=True)
    assert mapper.map(ROW) == Mapped("001090000001", RECORD)


def test_a_bad_row_lists_every_violation_without_values() -> None:
    mapper = RowMapper(CITIZEN, load_mapping(CITIZEN, MAPPING), cells=True)
    outcome = mapper.map({**ROW, "ngay_sinh": "01/05/1990", "gioi_tinh": "NAM", "so_dinh_danh": ""})
    assert outcome == Rejected((
        error("date_of_birth", "logical_type", "date", "str", "ISO date YYYY-MM-DD"),
        error("sex", "enum", "enum Sex", "str", "one of MALE, FEMALE"),
        error("cccd", "required", "non-empty key", "empty"),
    ))


def test_coercion_errors_are_not_reported_twice_by_validation() -> None:
    mapper = RowMapper(PARCEL, header_mapping(PARCEL, list(LEAVES["land.parcel"])), cells=True)
    row = {"parcel_id": "01-00004-12-345", "map_sheet_number": "abc", "parcel_number": "", "province_code": "01",
           "ward_code": "00004", "area_m2": "152.55", "land_use_code": "ODT", "owner_kind": "CITIZEN",
           "owner_cccd": "001090000001", "owner_tax_code": "", "certificate_number": "CS 123456",
           "certificate_issue_date": "2020-02-30"}
    assert mapper.map(row) == Rejected((
        error("map_sheet_number", "type", "int", "str", "CSV cell must be a whole number"),
        error("parcel_number", "required", "int", "empty"),
        error("area_m2", "decimal_scale", "decimal(12,1)", "str", "at most 1 digits after the point"),
        error("certificate_issue_date", "logical_type", "date", "str", "ISO date YYYY-MM-DD"),
    ))
    fixed = {**row, "map_sheet_number": "12", "parcel_number": "345", "area_m2": "152.5",
             "certificate_issue_date": "2020-02-28"}
    assert mapper.map(fixed) == Mapped("01-00004-12-345", {
        "parcel_id": "01-00004-12-345", "map_sheet_number": 12, "parcel_number": 345, "province_code": "01",
        "ward_code": "00004", "area_m2": Decimal("152.5"), "land_use_code": "ODT", "owner_kind": "CITIZEN",
        "owner_cccd": "001090000001", "owner_tax_code": None, "certificate_number": "CS 123456",
        "certificate_issue_date": date(2020, 2, 28)})


def test_json_values_are_used_as_they_are() -> None:
    mapper = RowMapper(CITIZEN, None, cells=False)
    record = {**RECORD, "date_of_birth": "1990-05-01", "nationality": "VN"}
    assert mapper.map(record) == Mapped("001090000001", RECORD)
    assert mapper.map({**record, "phone": 912345678, "tuoi": 35}) == Rejected((
        error("phone", "type", "string", "int"),
        error("tuoi", "unknown_field", "absent", "int", "Citizen has no such field"),
    ))


def test_a_nullable_nested_record_with_only_empty_cells_is_null() -> None:
    schema = {"type": "record", "name": "Household", "namespace": "vn.test", "fields": [
        {"name": "household_id", "type": "string"},
        {"name": "temporary_address", "type": ["null", {"type": "record", "name": "Address", "fields": [
            {"name": "line", "type": "string"}, {"name": "province_code", "type": "string"}]}], "default": None}]}
    dataset = CITIZEN.__class__(name="test.household", owner=CITIZEN.owner, key=("household_id",), personal_data=(),
                                retention_days=1, description_en="", description_vi="", record_schema=schema,
                                envelope_schema=schema)
    mapper = RowMapper(dataset, header_mapping(dataset, ["household_id", "temporary_address.line",
                                                         "temporary_address.province_code"]), cells=True)
    assert mapper.map({"household_id": "HK-1", "temporary_address.line": "", "temporary_address.province_code": ""}) \
        == Mapped("HK-1", {"household_id": "HK-1", "temporary_address": None})
    assert mapper.map({"household_id": "HK-2", "temporary_address.line": "5 Lý Thường Kiệt",
                       "temporary_address.province_code": "46"}) \
        == Mapped("HK-2", {"household_id": "HK-2", "temporary_address": {"line": "5 Lý Thường Kiệt",
                                                                          "province_code": "46"}})


# -- mapping files ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dataset: land.parcel\nfields: {}", "m.yaml is for dataset 'land.parcel', not 'population.citizen'"),
        ("fields: {cccd: so_dinh_danh}", "m.yaml: required field(s) of population.citizen not mapped: full_name, "
         "date_of_birth, sex, permanent_address.line, permanent_address.province_code, ethnicity"),
        ("fields: {permanent_address: dia_chi}", "m.yaml: 'permanent_address' is not a field of population.citizen; "
         "it is a record: map its fields (permanent_address.line, permanent_address.province_code, "
         "permanent_address.ward_code)"),
        ("fields: {so_cccd: a}", "m.yaml: 'so_cccd' is not a field of population.citizen; fields are: cccd, "
         "full_name, date_of_birth, sex, place_of_origin, permanent_address.line, permanent_address.ward_code, "
         "permanent_address.province_code, ethnicity, nationality, phone"),
        ("fields:\n  cccd: 12", "m.yaml: the column of cccd must be a non-empty string"),
        ("cot: 1", "m.yaml must be a mapping with 'fields' (field path: column) and optional 'dataset'"),
    ],
)
def test_bad_mappings_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(LoaderError) as info:
        load_mapping(CITIZEN, text, "m.yaml")
    assert str(info.value) == message


def test_a_mapping_naming_a_column_the_header_lacks_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "dan_cu.csv"
    path.write_text(",".join(c for c in ROW if c != "ma_tinh") + "\n", encoding="utf-8")
    with pytest.raises(LoaderError) as info:
        SourceFile(path, CITIZEN, load_mapping(CITIZEN, MAPPING))
    assert str(info.value) == (f"{path}: the header has no column 'ma_tinh' (for permanent_address.province_code); "
                               "it has: so_dinh_danh, ho_va_ten, ngay_sinh, gioi_tinh, que_quan, dia_chi, ma_xa, "
                               "dan_toc, so_dien_thoai")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", b"", "cannot tell the format of {path}: name it .csv, .jsonl or .ndjson"),
        ("missing.csv", None, "cannot read {path}: No such file or directory"),
        ("empty.csv", b"", "{path}: the CSV header is missing"),
        ("tcvn3.csv", b"cccd,h\xad t\xean\n", "{path}: the CSV header is not UTF-8; convert the file to UTF-8 (TCVN3: "
                                               "iconv -f TCVN5712-1 -t UTF-8)"),
    ],
)
def test_unreadable_files_are_fatal(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LoaderError) as info:
        SourceFile(path, CITIZEN, None)
    assert str(info.value) == message.format(path=path)


# -- the file shell, with the fake producer -------------------------------------------------------------
HEADER = ("cccd,full_name,date_of_birth,sex,place_of_origin,permanent_address.line,permanent_address.ward_code,"
          "permanent_address.province_code,ethnicity,phone")
LINES = [
    b"\xef\xbb\xbf" + HEADER.encode(),                                                     # 1, with a BOM
    "001090000001,Nguyễn Văn An,1990-05-01,MALE,,12 Tràng Tiền,00070,01,Kinh,".encode(),    # 2
    "079185000002,Trần Thị Bích Ngọc,31/12/1985,FEMALE,,45 Lê Lợi,,79,Kinh,".encode(),       # 3 bad date
    '027200000003,Lê Hoàng Phúc,2000-01-15,MALE,Bắc Ninh,"Thôn Đông,'.encode(),             # 4 a quoted cell
    'xã Yên Phong",,27,Kinh,0912345678'.encode(),                                           # 5 over two lines
    b"001090000004,Nguy\xd6n Th\xfc H\xad\xeang,1975-03-08,FEMALE,,S\xe8 7,,01,Kinh,",       # 6 TCVN3, not UTF-8
    "046199000005,Hoàng Đức Thắng,1999-09-09,MALE,,Huế".encode(),                           # 7 too few cells
    b"",                                                                                   # 8 blank
    "001090000006,Phạm Thị Hương,1960-12-01,FEMALE,,88 Hùng Vương,,01,Kinh,".encode(),      # 9
]
CSV = b"\r\n".join(LINES) + b"\r\n"


def run_load(tmp_path: Path, producer: FakeProducer, name: str = "dan_cu.csv", content: bytes = CSV,
             flush_every: int = 20_000) -> tuple[LoadSummary, list[dict]]:
    path = tmp_path / name
    path.write_bytes(content)
    rejects = tmp_path / "rejects.jsonl"
    seen: list[int] = []
    with SourceFile(path, CITIZEN, None) as source, rejects.open("w", encoding="utf-8") as out:
        summary = load(source, producer, "population.citizen", "r", out, progress=seen.append,
                       flush_every=flush_every, clock=iter([0.0, 2.0]).__next__)
    assert seen[-1] == len(content)
    return summary, [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]


def reject(line: int, *errors: FieldError) -> dict:
    return {"line": line, "errors": [{"path": e.path, "rule": e.rule, "expected": e.expected_type,
                                      "actual": e.actual_type, "detail": e.detail} for e in errors]}


def test_a_csv_load_sends_the_valid_rows_and_lists_the_rejected_lines(tmp_path: Path) -> None:
    producer = FakeProducer()
    summary, rejects = run_load(tmp_path, producer)
    assert [(e.key, e.op, e.position) for e in producer.emitted] == [
        ("001090000001", "r", 2), ("027200000003", "r", 4), ("001090000006", "r", 9)]
    assert producer.emitted[1].record == {
        "cccd": "027200000003", "full_name": "Lê Hoàng Phúc", "date_of_birth": date(2000, 1, 15), "sex": "MALE",
        "place_of_origin": "Bắc Ninh",
        "permanent_address": {"line": "Thôn Đông,\r\nxã Yên Phong", "ward_code": None, "province_code": "27"},
        "ethnicity": "Kinh", "nationality": "VN", "phone": "0912345678"}
    assert rejects == [
        reject(3, error("date_of_birth", "logical_type", "date", "str", "ISO date YYYY-MM-DD")),
        reject(6, error("", "encoding", "UTF-8", "bytes", "convert the file to UTF-8 (TCVN3: iconv -f TCVN5712-1 "
                                                          "-t UTF-8)")),
        reject(7, error("", "columns", "10 cells", "6 cells")),
    ]
    assert summary == LoadSummary(rows=6, sent=3, spooled=0, rejected=3,
                                  rejected_by_rule={"columns": 1, "encoding": 1, "logical_type": 1}, elapsed_s=2.0)
    assert (summary.rows_per_s, summary.exit_code) == (3.0, 1)


def test_the_rejects_file_holds_no_personal_values(tmp_path: Path) -> None:
    run_load(tmp_path, FakeProducer())
    text = (tmp_path / "rejects.jsonl").read_text(encoding="utf-8")
    leaked = [v for v in ("079185000002", "Trần Thị Bích Ngọc", "31/12/1985", "Lê Lợi", "046199000005", "Huế")
              if v in text]
    assert leaked == []


def test_a_jsonl_load(tmp_path: Path) -> None:
    lines = [json.dumps({**RECORD, "date_of_birth": "1990-05-01"}, ensure_ascii=False),
             '{"cccd": "001090000002", "full_name": ',
             "[1, 2]",
             "",
             json.dumps({**RECORD, "cccd": "001090000003", "date_of_birth": "1990-05-01", "so_cmnd": "012345678"},
                        ensure_ascii=False)]
    producer = FakeProducer()
    summary, rejects = run_load(tmp_path, producer, "dan_cu.jsonl", "\n".join(lines).encode() + b"\n")
    assert producer.emitted == [Emitted("population.citizen", "r", "001090000001", RECORD, None, "event-1", 1)]
    assert rejects == [
        reject(2, error("", "json", "JSON object", "str", "Expecting value")),
        reject(3, error("", "json", "JSON object", "list")),
        reject(5, error("so_cmnd", "unknown_field", "absent", "str", "Citizen has no such field")),
    ]
    assert (summary.rows, summary.sent, summary.rejected, summary.exit_code) == (4, 1, 3, 1)


def test_events_kafka_does_not_acknowledge_are_counted_as_spooled(tmp_path: Path) -> None:
    summary, _ = run_load(tmp_path, FakeProducer(spool=True))
    assert (summary.sent, summary.spooled, summary.rejected, summary.exit_code) == (0, 3, 3, 1)
    content = b"\r\n".join([LINES[0], LINES[1], LINES[8]]) + b"\r\n"
    summary, rejects = run_load(tmp_path, FakeProducer(spool=True), content=content)
    assert (summary.sent, summary.spooled, summary.rejected, rejects, summary.exit_code) == (0, 2, 0, [], 3)


def test_events_the_broker_refuses_are_rejects_with_their_line(tmp_path: Path) -> None:
    producer = FakeProducer(refuse=frozenset({"027200000003"}))
    summary, rejects = run_load(tmp_path, producer, flush_every=1)
    assert rejects[1:2] == [reject(4, error("", "kafka_refused", "", "", REFUSED))]
    assert (summary.sent, summary.rejected, summary.rejected_by_rule["kafka_refused"]) == (2, 4, 1)
    assert producer.flushes == [None, None, None, None]  # after each event, then at the end


def test_all_rows_acknowledged_exits_0(tmp_path: Path) -> None:
    summary, rejects = run_load(tmp_path, FakeProducer(), content=b"\n".join([LINES[0], LINES[1]]))
    assert (summary.rows, summary.sent, rejects, summary.exit_code) == (1, 1, [], 0)


# -- the CLI's fatal paths (exit 2 before any connection to Kafka) --------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "population.citizens", "{dir}/a.csv"],
         "unknown dataset 'population.citizens'; the catalogue has: civil_status.event, enterprise.registration, "
         "land.parcel, population.citizen, social_insurance.participant"),
        (["--dataset", "population.citizen", "{dir}/missing.csv"],
         "cannot read {dir}/missing.csv: No such file or directory"),
        (["--dataset", "population.citizen", "--mapping", "{dir}/m.yaml", "{dir}/a.csv"],
         "{dir}/m.yaml: 'so_cccd' is not a field of population.citizen; fields are: cccd, full_name, date_of_birth, "
         "sex, place_of_origin, permanent_address.line, permanent_address.ward_code, "
         "permanent_address.province_code, ethnicity, nationality, phone"),
        (["--dataset", "population.citizen", "--mapping", "{dir}/none.yaml", "{dir}/a.csv"],
         "cannot read mapping {dir}/none.yaml: [Errno 2] No such file or directory: '{dir}/none.yaml'"),
    ],
)
def test_fatal_load_errors_exit_2_naming_the_problem(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "a.csv").write_text(HEADER + "\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text("fields: {so_cccd: a}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["load", *(a.format(dir=tmp_path) for a in args)],
                                env={"HUB_DATA_DIR": str(tmp_path / "hub")})
    assert (result.exit_code, " ".join(result.stderr.split())) == (2, "error: " + message.format(dir=tmp_path))


def test_summary_rows_per_s_without_time() -> None:
    summary = LoadSummary(rows=0, sent=0, spooled=0, rejected=0, rejected_by_rule={}, elapsed_s=0.0)
    assert (summary.rows_per_s, summary.exit_code) == (0.0, 0)


def test_field_map_keeps_the_leaf() -> None:
    leaf = LEAVES["population.citizen"]["permanent_address.province_code"]
    assert load_mapping(CITIZEN, MAPPING)[7] == FieldMap(leaf, "ma_tinh")
    assert leaf == Leaf("permanent_address.province_code", "string", "string", nullable=False, required=True)


def test_timestamps_in_csv_become_instants(tmp_path: Path) -> None:
    event = CATALOGUE.get("civil_status.event")
    mapper = RowMapper(event, header_mapping(event, list(LEAVES["civil_status.event"])), cells=True)
    row = {"civil_event_id": "KT-2025-000123", "event_type": "DEATH", "subject_cccd": "001045000007",
           "second_party_cccd": "", "event_date": "2025-03-01", "occurred_at": "2025-03-01T08:30:00+07:00",
           "registration_ward_code": "00070", "registration_province_code": "01", "registration_number": "123/2025",
           "registration_date": "2025-03-03"}
    outcome = mapper.map(row)
    assert isinstance(outcome, Mapped)
    assert (outcome.key, outcome.record["occurred_at"], outcome.record["second_party_cccd"]) == (
        "KT-2025-000123", datetime(2025, 3, 1, 1, 30, tzinfo=timezone.utc), None)
