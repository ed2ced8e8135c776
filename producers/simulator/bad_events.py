"""Events the hub must reject, one maker per reason code. They never change the simulated world.

Each maker emits one event labelled with its reason code (see ``RULES.md``) and returns True, or returns
False when the world has nothing to build it from yet. The records are otherwise consistent, so that the
labelled rule is the one that rejects them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from hub.catalogue import Catalogue, load_catalogue
from producers.simulator.business import ENTERPRISE, LAND, make_enterprise
from producers.simulator.civil import CIVIL
from producers.simulator.context import Context, Emission
from producers.simulator.people import CITIZEN, INSURANCE, make_person
from producers.simulator.world import Bag
from streams.rules import identifiers
from streams.rules.base import (CCCD_INCONSISTENT, DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH, MST_CHECK_DIGIT,
                                REQUIRED_MISSING)

_NOT_PROVINCES = tuple(f"{n:02d}" for n in range(100) if f"{n:02d}" not in identifiers.legacy_province_codes())


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@cache
def droppable_fields() -> dict[str, tuple[str, ...]]:
    """Per dataset: top-level fields that are required (not nullable, no default) and not key fields."""
    out = {}
    for dataset in _catalogue():
        out[dataset.name] = tuple(
            f["name"] for f in dataset.record_schema["fields"]
            if f["name"] not in dataset.key and "default" not in f
            and not (isinstance(f["type"], list) and "null" in f["type"]))
    return out


def required_missing(ctx: Context) -> Emission | None:
    """An update of an existing record with one required field left out."""
    world = ctx.world
    sources: list[tuple[str, Bag[str], Callable[[str], dict[str, Any]]]] = [
        (CITIZEN, world.living, lambda k: world.people[k].record()),
        (ENTERPRISE, world.open_enterprises, lambda k: world.enterprises[k].record()),
        (INSURANCE, world.insured, lambda k: world.participations[k].record()),
        (CIVIL, world.civil_ids, lambda k: world.civil_events[k].record()),
        (LAND, world.parcel_ids, lambda k: world.parcels[k].record())]
    usable = [s for s in sources if s[0] in ctx.datasets and len(s[1])]
    if not usable:
        return None
    dataset, bag, render = ctx.pick(usable)
    handle = bag.choice(ctx.rng)
    assert handle is not None  # the bag is not empty
    record = render(handle)
    del record[ctx.pick(droppable_fields()[dataset])]
    key_field = _catalogue().get(dataset).key[0]
    return ctx.emit(dataset, "u", record[key_field], record)


def cccd_inconsistent(ctx: Context) -> Emission | None:
    """A new citizen whose CCCD contradicts the record: province digits that name no province, the wrong
    sex/century digit, or the wrong birth year."""
    person = make_person(ctx)
    good = person.cccd
    r = ctx.rng.random()
    if r < 1 / 3:
        bad = f"0{ctx.pick(_NOT_PROVINCES)}{good[3:]}"
    elif r < 2 / 3:
        bad = f"{good[:3]}{(int(good[3]) + ctx.between(1, 9)) % 10}{good[4:]}"
    else:
        bad = f"{good[:4]}{(int(good[4:6]) + ctx.between(1, 99)) % 100:02d}{good[6:]}"
    person.cccd = bad
    ctx.world.issued.add(bad)
    return ctx.emit(CITIZEN, "c", bad, person.record())


def mst_check_digit(ctx: Context) -> Emission | None:
    """A new enterprise, or an insurance or land record naming an employer or holder, whose tax code has a
    wrong check digit."""
    shift = ctx.between(1, 9)
    insured = ctx.world.insured.choice(ctx.rng)
    employed = insured is not None and ctx.world.participations[insured].employer_tax_code is not None
    if employed and INSURANCE in ctx.datasets and ctx.chance(0.4):
        record = ctx.world.participations[insured].record()  # type: ignore[index]
        record["employer_tax_code"] = identifiers.with_wrong_check_digit(record["employer_tax_code"], shift)
        return ctx.emit(INSURANCE, "u", record["si_code"], record)
    representative = ctx.world.living.choice(ctx.rng)
    if representative is None or ENTERPRISE not in ctx.datasets:
        return None
    record = make_enterprise(ctx, ctx.world.people[representative]).record()
    record["legal_representative_cccd"] = representative
    record["tax_code"] = identifiers.with_wrong_check_digit(record["tax_code"], shift)
    ctx.world.issued.add(record["tax_code"])
    return ctx.emit(ENTERPRISE, "c", record["tax_code"], record)


def date_impossible(ctx: Context) -> Emission | None:
    """A citizen born in the future, or an existing record with dates out of order."""
    r = ctx.rng.random()
    if r < 0.4 or not len(ctx.world.civil_ids):
        born = ctx.today + timedelta(days=ctx.between(2, 400))  # 2: the event may fall after midnight
        person = make_person(ctx, born=born)
        return ctx.emit(CITIZEN, "c", person.cccd, person.record())
    if r < 0.7 and len(ctx.world.insured) and INSURANCE in ctx.datasets:
        cccd = ctx.world.insured.choice(ctx.rng)
        assert cccd is not None
        record = ctx.world.participations[cccd].record()
        record["end_date"] = record["start_date"] - timedelta(days=ctx.between(1, 365))
        return ctx.emit(INSURANCE, "u", record["si_code"], record)
    event_id = ctx.world.civil_ids.choice(ctx.rng)
    if event_id is None or CIVIL not in ctx.datasets:
        return None
    record = ctx.world.civil_events[event_id].record()
    record["registration_date"] = record["event_date"] - timedelta(days=ctx.between(1, 60))
    return ctx.emit(CIVIL, "u", event_id, record)


def death_before_birth(ctx: Context) -> Emission | None:
    """A death registered for a living person, dated before their birth (the person stays alive)."""
    cccd = ctx.world.living.choice(ctx.rng)
    if cccd is None or CIVIL not in ctx.datasets:
        return None
    person = ctx.world.people[cccd]
    day = person.date_of_birth - timedelta(days=ctx.between(1, 3650))
    event_id = ctx.new_id("KT")
    record = {"civil_event_id": event_id, "event_type": "DEATH", "subject_cccd": cccd, "second_party_cccd": None,
              "event_date": day, "occurred_at": None, "registration_ward_code": person.address.ward_code,
              "registration_province_code": person.address.province_code,
              "registration_number": f"{ctx.between(1, 999)}/{ctx.today.year}",
              "registration_date": ctx.today}
    return ctx.emit(CIVIL, "c", event_id, record)


MAKERS: dict[str, Callable[[Context], Emission | None]] = {
    REQUIRED_MISSING: required_missing, CCCD_INCONSISTENT: cccd_inconsistent, MST_CHECK_DIGIT: mst_check_digit,
    DATE_IMPOSSIBLE: date_impossible, DEATH_BEFORE_BIRTH: death_before_birth,
}
