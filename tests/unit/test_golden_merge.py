"""The golden merge, rule by rule, on small cases worked out by hand."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from hub.catalogue import load_catalogue
from streams.golden import Contribution, Golden, Provenance, SourceEvent, apply, merge, route
from streams.golden.errors import RulesMismatch
from streams.golden.fold import fold
from streams.golden.rules import check_catalogue

A, B, C = "001190000011", "001088000022", "001095000033"
E = "0100109106"


def at(second: int) -> datetime:
    return datetime(2026, 3, 1, 5, 0, second, tzinfo=timezone.utc)


def person(cccd: str, name: str = "Trần Thị Mai", **changes: Any) -> dict[str, Any]:
    record = {"cccd": cccd, "full_name": name, "date_of_birth": date(1990, 1, 2), "sex": "FEMALE",
              "place_of_origin": "Thành phố Hà Nội",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": "+84912345678"}
    return {**record, **changes}


def participation(si_code: str, cccd: str, employer: str | None = E, status: str = "ACTIVE") -> dict[str, Any]:
    return {"si_code": si_code, "cccd": cccd, "employer_tax_code": employer,
            "scheme": "COMPULSORY" if employer else "HEALTH_ONLY",
            "monthly_contribution_base": Decimal(10_000_000) if employer else None, "status": status,
            "start_date": date(2020, 1, 1), "end_date": None, "province_code": "01"}


def civil(event_id: str, kind: str, subject: str, second: str | None, day: date) -> dict[str, Any]:
    return {"civil_event_id": event_id, "event_type": kind, "subject_cccd": subject, "second_party_cccd": second,
            "event_date": day, "occurred_at": None, "registration_ward_code": "00097",
            "registration_province_code": "01", "registration_number": "1/2026", "registration_date": date(2026, 2, 25)}


def parcel(parcel_id: str, cccd: str | None) -> dict[str, Any]:
    return {"parcel_id": parcel_id, "map_sheet_number": 3, "parcel_number": 12, "province_code": "01",
            "ward_code": "00097", "area_m2": Decimal("120.5"), "land_use_code": "ODT",
            "owner_kind": "CITIZEN" if cccd else "STATE", "owner_cccd": cccd, "owner_tax_code": None,
            "certificate_number": None, "certificate_issue_date": None}


def ev(dataset: str, key: str, record: dict[str, Any] | None, second: int, position: int, event_id: str) -> SourceEvent:
    return SourceEvent(dataset, key, event_id, at(second), position, record)


def pop(key: str, record: dict[str, Any] | None, second: int, position: int, event_id: str) -> SourceEvent:
    return ev("population.citizen", key, record, second, position, event_id)


def ins(si_code: str, record: dict[str, Any] | None, second: int, position: int, event_id: str) -> SourceEvent:
    return ev("social_insurance.participant", si_code, record, second, position, event_id)


def cs(record: dict[str, Any], second: int, position: int, event_id: str) -> SourceEvent:
    return ev("civil_status.event", record["civil_event_id"], record, second, position, event_id)


def land(parcel_id: str, record: dict[str, Any] | None, second: int, position: int, event_id: str) -> SourceEvent:
    return ev("land.parcel", parcel_id, record, second, position, event_id)


def values(events: list[SourceEvent], entity: str = "citizen") -> dict[str, dict[str, Any]]:
    return {k: r.values() for k, r in fold(events).records(entity).items()}


def provenance(events: list[SourceEvent], key: str = A) -> dict[str, Provenance | None]:
    return fold(events).records("citizen")[key].provenance()


NONE_BUT_POPULATION = {"social_insurance_code": None, "employer_tax_code": None, "insurance_scheme": None,
                       "insurance_status": None, "marital_status": None, "spouse_cccd": None, "date_of_death": None,
                       "land_holdings": []}


def test_population_alone_gives_its_attributes_and_none_for_the_rest() -> None:
    assert values([pop(A, person(A), 1, 1, "p1")]) == {A: {**person(A), **NONE_BUT_POPULATION}}
    assert provenance([pop(A, person(A), 1, 1, "p1")]) == {
        **{a: Provenance("population.citizen", "p1", at(1)) for a in person(A) if a != "cccd"},
        **{a: None for a in NONE_BUT_POPULATION}}


def test_the_latest_event_of_the_authority_wins_whatever_the_order_of_arrival() -> None:
    newer, older = pop(A, person(A, phone="+84987654321"), 10, 4, "p4"), pop(A, person(A), 5, 3, "p3")
    for events in ([newer, older], [older, newer]):
        assert values(events)[A]["phone"] == "+84987654321"
        assert provenance(events)["phone"] == Provenance("population.citizen", "p4", at(10))


def test_equal_times_are_decided_by_source_position() -> None:
    first, second = pop(A, person(A, phone="+84911111111"), 5, 7, "p7"), pop(A, person(A), 5, 8, "p8")
    assert values([second, first])[A]["phone"] == "+84912345678"


def test_a_delete_of_the_register_removes_the_record_and_older_news_does_not_bring_it_back() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(A, None, 3, 3, "p3"), pop(A, person(A), 2, 2, "p2")]
    assert values(events) == {}
    folded = fold(events)
    assert [(c.op, c.revision) for c in folded.changes] == [("c", 1), ("d", 2)]


def test_a_record_created_again_after_a_delete_is_published_as_created() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(A, None, 3, 3, "p3"), pop(A, person(A, "Trần Thị Lan"), 4, 4, "p4")]
    assert [(c.op, c.revision) for c in fold(events).changes] == [("c", 1), ("d", 2), ("c", 3)]
    assert values(events)[A]["full_name"] == "Trần Thị Lan"


def test_attributes_of_people_the_register_does_not_know_wait_for_the_register() -> None:
    insured = ins("0112345678", participation("0112345678", A), 1, 1, "s1")
    assert values([insured]) == {}
    assert values([insured, pop(A, person(A), 2, 1, "p1")])[A]["social_insurance_code"] == "0112345678"


def test_the_latest_of_several_live_participations_wins_and_a_delete_hands_over() -> None:
    old = ins("0111111111", participation("0111111111", A, None), 2, 1, "s1")
    new = ins("0122222222", participation("0122222222", A, E, "SUSPENDED"), 3, 2, "s2")
    events = [pop(A, person(A), 1, 1, "p1"), new, old]
    assert {k: values(events)[A][k] for k in NONE_BUT_POPULATION if k.startswith(("social", "employer", "insur"))} \
        == {"social_insurance_code": "0122222222", "employer_tax_code": E, "insurance_scheme": "COMPULSORY",
            "insurance_status": "SUSPENDED"}
    handed_over = [*events, ins("0122222222", None, 4, 3, "s3")]
    assert values(handed_over)[A]["social_insurance_code"] == "0111111111"
    assert provenance(handed_over)["insurance_scheme"] == Provenance("social_insurance.participant", "s1", at(2))
    gone = [*handed_over, ins("0111111111", None, 5, 4, "s4")]
    assert {k: values(gone)[A][k] for k in ("social_insurance_code", "insurance_status")} == {
        "social_insurance_code": None, "insurance_status": None}
    assert provenance(gone)["social_insurance_code"] is None


def test_a_participation_moved_to_another_person_leaves_the_first() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 1, 2, "p2"),
              ins("0112345678", participation("0112345678", A), 2, 1, "s1"),
              ins("0112345678", participation("0112345678", B), 3, 2, "s2")]
    got = values(events)
    assert (got[A]["social_insurance_code"], got[B]["social_insurance_code"]) == (None, "0112345678")


def test_land_holdings_follow_parcels_changing_hands_being_split_and_deleted() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 1, 2, "p2"),
              land("P1", parcel("P1", A), 2, 1, "l1"), land("P2", parcel("P2", A), 3, 2, "l2"),
              land("P1", parcel("P1", B), 4, 3, "l3"),          # P1 changes hands
              land("P2", None, 5, 4, "l4"), land("P3", parcel("P3", A), 5, 5, "l5"),  # P2 split
              land("P4", parcel("P4", A), 5, 6, "l6"), land("P4", parcel("P4", None), 6, 7, "l7")]  # to the State
    got = values(events)
    assert (got[A]["land_holdings"], got[B]["land_holdings"]) == (["P3"], ["P1"])
    assert provenance(events)["land_holdings"] == Provenance("land.parcel", "l7", at(6))


def test_marriage_divorce_and_remarriage_in_order_of_event_date() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 1, 2, "p2"), pop(C, person(C), 1, 3, "p3"),
              cs(civil("KH2", "MARRIAGE", A, C, date(2026, 1, 5)), 13, 3, "v3"),   # sent before the older events
              cs(civil("KH1", "MARRIAGE", A, B, date(2025, 1, 1)), 10, 1, "v1"),
              cs(civil("LH1", "DIVORCE", B, A, date(2025, 6, 1)), 11, 2, "v2")]
    got = values(events)
    assert {k: (g["marital_status"], g["spouse_cccd"]) for k, g in got.items()} == {
        A: ("MARRIED", C), B: ("DIVORCED", None), C: ("MARRIED", A)}
    assert provenance(events, B)["marital_status"] == Provenance("civil_status.event", "v2", at(11))


def test_a_death_sets_the_date_and_widows_the_spouse_whatever_the_order() -> None:
    marriage = cs(civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), 40, 1, "v1")
    death = cs(civil("KT1", "DEATH", B, None, date(2026, 2, 20)), 41, 2, "v2")
    people = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 2, 2, "p2")]
    for events in itertools.permutations([*people, marriage, death]):
        got = values(list(events))
        assert {k: (g["marital_status"], g["spouse_cccd"], g["date_of_death"]) for k, g in got.items()} == {
            A: ("WIDOWED", None, None), B: ("MARRIED", A, date(2026, 2, 20))}
        assert provenance(list(events))["marital_status"] == Provenance("civil_status.event", "v2", at(41))


def test_a_death_before_the_marriage_or_of_a_divorced_spouse_widows_no_one() -> None:
    people = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 2, 2, "p2")]
    marriage = cs(civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), 40, 1, "v1")
    divorce = cs(civil("LH1", "DIVORCE", A, B, date(2026, 2, 10)), 41, 2, "v2")
    death = cs(civil("KT1", "DEATH", B, None, date(2026, 2, 20)), 42, 3, "v3")
    assert values([*people, death, marriage, divorce])[A]["marital_status"] == "DIVORCED"


def test_a_deleted_death_registration_takes_the_widowhood_back() -> None:
    events = [pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 2, 2, "p2"),
              cs(civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), 40, 1, "v1"),
              cs(civil("KT1", "DEATH", B, None, date(2026, 2, 20)), 41, 2, "v2"),
              ev("civil_status.event", "KT1", None, 42, 3, "v3")]
    got = values(events)
    assert {k: (g["marital_status"], g["spouse_cccd"], g["date_of_death"]) for k, g in got.items()} == {
        A: ("MARRIED", B, None), B: ("MARRIED", A, None)}


EVENTS_OF_EVERY_AUTHORITY = [
    pop(A, person(A), 1, 1, "p1"), pop(B, person(B), 2, 2, "p2"),
    ins("0112345678", participation("0112345678", A), 3, 1, "s1"),
    cs(civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), 4, 1, "v1"),
    land("P1", parcel("P1", A), 5, 1, "l1"),
]


def test_events_of_different_authorities_merge_to_the_same_record_in_any_order() -> None:
    in_order = fold(EVENTS_OF_EVERY_AUTHORITY).records("citizen")
    outcomes = [fold(list(order)).records("citizen") for order in itertools.permutations(EVENTS_OF_EVERY_AUTHORITY)]
    assert outcomes == [in_order] * 120
    assert {k: r.values() for k, r in in_order.items()} == {
        A: {**person(A), **NONE_BUT_POPULATION, "social_insurance_code": "0112345678", "employer_tax_code": E,
            "insurance_scheme": "COMPULSORY", "insurance_status": "ACTIVE", "marital_status": "MARRIED",
            "spouse_cccd": B, "land_holdings": ["P1"]},
        B: {**person(B), **NONE_BUT_POPULATION, "marital_status": "MARRIED", "spouse_cccd": A}}


def test_merging_a_contribution_again_changes_nothing() -> None:
    folded = fold(EVENTS_OF_EVERY_AUTHORITY)
    for golden in folded.golden.values():
        for slot in golden.slots:
            assert merge(golden, slot) == golden


def test_older_news_for_a_slot_changes_nothing() -> None:
    golden = merge(None, route(None, pop(A, person(A), 5, 2, "p2")).send[0])
    older = route(None, pop(A, person(A, "Lê Thị Hoa"), 4, 1, "p1")).send[0]
    assert apply(golden, older) == apply(golden, older)
    assert merge(golden, older) == golden


def test_a_replayed_event_sends_its_contributions_again_and_golden_records_publish_their_latest_change_again() -> None:
    first = route(None, land("P1", parcel("P1", A), 2, 1, "l1"))
    moved = route(first.state, land("P1", parcel("P1", B), 3, 2, "l2"))
    assert [(c.key, c.live) for c in moved.send] == [(B, True), (A, False)]
    replayed = route(moved.state, land("P1", parcel("P1", B), 3, 2, "l2"))
    assert (replayed.state, replayed.send) == (moved.state, moved.send)
    assert route(moved.state, land("P1", parcel("P1", A), 2, 1, "l1")).send == ()

    golden = Golden("citizen", A)
    for c in route(None, pop(A, person(A), 1, 1, "p1")).send:
        golden = merge(golden, c)
    applied = apply(golden, golden.slots[0])
    assert (applied.replayed, applied.golden, applied.change) == (True, golden, golden.change())
    assert applied.change is not None and (applied.change.op, applied.change.revision) == ("c", 1)


def test_a_death_is_relayed_to_the_spouse_and_retracted_when_the_marriage_goes() -> None:
    folded = fold([cs(civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), 40, 1, "v1"),
                   cs(civil("KT1", "DEATH", B, None, date(2026, 2, 20)), 41, 2, "v2")])
    relay = folded.golden[("citizen", B)].relays
    assert [(r.key, r.source_key, r.relayed_by, r.live, r.position) for r in relay] == [(A, "KT1", B, True, 1)]
    folded.add(ev("civil_status.event", "KH1", None, 42, 3, "v3"))
    relay = folded.golden[("citizen", B)].relays
    assert [(r.key, r.live, r.position) for r in relay] == [(A, False, 2)]
    assert [s.live for s in folded.golden[("citizen", A)].slots if s.relayed_by] == [False]


def test_the_catalogue_must_name_the_attributes_the_rules_merge() -> None:
    catalogue = load_catalogue()
    check_catalogue(catalogue)
    land_ds = catalogue.get("land.parcel")
    changed = {**catalogue.datasets, "land.parcel": replace(
        land_ds, authoritative={**land_ds.authoritative, "enterprise": ("land_holdings", "land_area")})}
    with pytest.raises(RulesMismatch) as caught:
        check_catalogue(replace(catalogue, datasets=changed))
    assert (caught.value.dataset, caught.value.entity, caught.value.catalogue, caught.value.rules) == (
        "land.parcel", "enterprise", ("land_holdings", "land_area"), ("land_holdings",))


def test_a_contribution_knows_its_slot_and_provenance() -> None:
    c = Contribution("citizen", A, "land.parcel", "P1", at(1), 3, "l1", (("parcel_id", "P1"),))
    assert (c.slot, c.target, c.version, c.live, c.provenance) == (
        ("land.parcel", "P1", ""), ("citizen", A), (at(1), 3), True, Provenance("land.parcel", "l1", at(1)))


def enterprise(tax_code: str, representative: str | None = A, **changes: Any) -> dict[str, Any]:
    record = {"tax_code": tax_code, "name": "Công ty TNHH Thương mại Minh Phát", "name_en": None, "short_name": None,
              "legal_form": "LLC_MULTI_MEMBER", "state_owned": False, "status": "ACTIVE",
              "registration_date": date(2015, 6, 1), "main_industry_code": "4690",
              "head_office_address": {"line": "Số 2 Hàng Bài", "ward_code": "00097", "province_code": "01"},
              "legal_representative_cccd": representative, "charter_capital": Decimal(2_000_000_000),
              "phone": "+842438251234", "email": None}
    return {**record, **changes}


def biz(tax_code: str, record: dict[str, Any] | None, second: int, position: int, event_id: str) -> SourceEvent:
    return ev("enterprise.registration", tax_code, record, second, position, event_id)


def test_an_enterprise_merges_its_registration_and_land_and_goes_with_its_registration() -> None:
    held = {**parcel("P9", None), "owner_kind": "ENTERPRISE", "owner_tax_code": E}
    events = [land("P9", held, 1, 1, "l1"), biz(E, enterprise(E), 2, 1, "e1"),
              biz(E, enterprise(E, status="SUSPENDED"), 4, 3, "e3"),
              biz(E, enterprise(E, charter_capital=Decimal(1)), 3, 2, "e2")]  # late: changes nothing
    assert values(events, "enterprise") == {E: {**enterprise(E, status="SUSPENDED"), "land_holdings": ["P9"]}}
    provenance = fold(events).records("enterprise")[E].provenance()
    assert (provenance["charter_capital"], provenance["land_holdings"]) == (
        Provenance("enterprise.registration", "e3", at(4)), Provenance("land.parcel", "l1", at(1)))
    assert values([*events, biz(E, None, 5, 4, "e4")], "enterprise") == {}
