from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from streams.base import Rejected
from streams.dead_letters import (HEADERS, DeadLetter, DeadLetterHeaders, Fix, Position, Summary, dead_letter_headers,
                                  hex_dump, jsonable, summarise)
from streams.rules import Rejection


def test_headers_of_a_rejected_event() -> None:
    rejected = Rejected(Rejection("cccd_inconsistent", "cccd", "digits 2-3 name no province"), "e-1")
    headers = dead_letter_headers(rejected, "hub.population.citizen.raw", 2, 17, 1_772_341_200_000)
    assert headers == [("reason", b"cccd_inconsistent"), ("field", b"cccd"), ("detail", b"digits 2-3 name no province"),
                       ("source_topic", b"hub.population.citizen.raw"), ("source_partition", b"2"),
                       ("source_offset", b"17"), ("rejected_at_ms", b"1772341200000"), ("event_id", b"e-1")]
    assert [name for name, _ in headers] == list(HEADERS)
    assert DeadLetterHeaders.parse(headers) == DeadLetterHeaders(
        "cccd_inconsistent", "cccd", "digits 2-3 name no province", "hub.population.citizen.raw", 2, 17,
        1_772_341_200_000, "e-1")


def test_undecodable_messages_have_no_event_id_header() -> None:
    headers = dead_letter_headers(Rejected(Rejection("bad_magic", "", "magic byte 103, expected 0")), "t", 0, 0, 1)
    assert [name for name, _ in headers] == list(HEADERS[:-1])
    assert DeadLetterHeaders.parse(headers).event_id is None


def test_missing_headers_read_as_empty() -> None:
    assert DeadLetterHeaders.parse([("reason", b"x"), ("source_offset", b"?")]) == DeadLetterHeaders(
        "x", "", "", "", -1, -1, -1, None)


@pytest.mark.parametrize(("text", "parsed"), [("3:17", (3, 17)), ("17", (None, 17)), (" 0:0 ", (0, 0))])
def test_positions(text: str, parsed: tuple[int | None, int]) -> None:
    assert Position.parse(text) == parsed


@pytest.mark.parametrize("text", ["", "a:1", "1:", "-1:3", "2:-1"])
def test_bad_positions(text: str) -> None:
    with pytest.raises(ValueError):
        Position.parse(text)


def letter(offset: int, reason: str, at: int) -> DeadLetter:
    return DeadLetter(Position(0, offset), b"k", b"v", DeadLetterHeaders(reason, "", "", "t", 0, offset, at, None))


def test_summarise() -> None:
    letters = [letter(0, "a", 10), letter(1, "b", 30), letter(2, "a", 20)]
    assert summarise(letters) == Summary(3, {"a": 2, "b": 1}, letters[1])
    assert summarise([]) == Summary(0, {}, None)


def test_hex_dump() -> None:
    assert hex_dump(b"\x00\x00\x00\x00\x07Nguy\xe1\xbb\x85n Van An!") == [
        "00000000  00 00 00 00 07 4e 67 75 79 e1 bb 85 6e 20 56 61  .....Nguy...n Va",
        "00000010  6e 20 41 6e 21                                   n An!"]


def test_jsonable_gives_what_the_sdk_accepts_back() -> None:
    value = {"d": date(1990, 5, 1), "t": datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc), "n": Decimal("120.5"),
             "b": b"\x01\xff", "l": [date(2000, 1, 2)], "s": "Hà Nội", "none": None}
    assert jsonable(value) == {"d": "1990-05-01", "t": "2026-03-01T05:00:00.000+00:00", "n": "120.5", "b": "01ff",
                               "l": ["2000-01-02"], "s": "Hà Nội", "none": None}


def test_fix_from_json() -> None:
    line = ('{"event_id": "e1", "op": "u", "key": "k", "after": {"x": 1}, "event_time": "2026-03-01T05:00:00+00:00",'
            ' "source": {"ministry": "BCA", "system": "s", "position": 7}, "ingest_time": "…", "dlq": "1:2"}')
    assert Fix.from_json(line) == Fix("u", "k", {"x": 1}, "e1", "2026-03-01T05:00:00+00:00", 7, "1:2")
    assert Fix.from_json('{"op": "d", "key": "k", "after": null}') == Fix("d", "k", None)
    with pytest.raises(ValueError):
        Fix.from_json('{"op": "c", "key": "k"}')
