"""World actions of the civil-status register: births, deaths, marriages, divorces, corrections.

Invariants the golden records rely on: a marriage, divorce or death is dated after the birth and after the
latest such event of everyone it concerns (:attr:`Person.last_civil_date`), so sorting them by date is
enough; mistaken duplicate registrations are only ever births; only living, unmarried
adults marry (men from 20, women from 18, Marriage and Family Law 2014); only living couples divorce; the
dead take part in nothing after their death.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from datetime import timedelta

from producers.simulator.business import replace_representative
from producers.simulator.context import Context
from producers.simulator.people import (CITIZEN, INSURANCE, add_person, delete, insurance_create,
                                        insurance_stop_on_death, make_person)
from producers.simulator.world import CivilEvent, Person

CIVIL = "civil_status.event"
_PREFIX = {"BIRTH": "KS", "DEATH": "KT", "MARRIAGE": "KH", "DIVORCE": "LH"}


def _living(ctx: Context, accept: Callable[[Person], bool], tries: int = 20) -> Person | None:
    for _ in range(tries):
        cccd = ctx.world.living.choice(ctx.rng)
        if cccd is None:
            return None
        person = ctx.world.people[cccd]
        if accept(person):
            return person
    return None


def _event(ctx: Context, kind: str, subject: Person, second: Person | None, day: date,
           occurred_at: datetime | None = None) -> CivilEvent:
    """Registered where the subject (or, for a birth, the mother) lives, within days of ``day``."""
    where = second.address if kind == "BIRTH" and second is not None else subject.address
    registered = min(ctx.today, day + (ctx.today - day) * ctx.below(100) // 100)
    event = CivilEvent(civil_event_id=ctx.new_id(_PREFIX[kind]), event_type=kind, subject_cccd=subject.cccd,
                       second_party_cccd=second.cccd if second else None, event_date=day, occurred_at=occurred_at,
                       registration_ward_code=where.ward_code, registration_province_code=where.province_code,
                       registration_number=f"{ctx.between(1, 999)}/{registered.year}",
                       registration_date=registered)
    ctx.world.civil_events[event.civil_event_id] = event
    ctx.world.civil_ids.add(event.civil_event_id)
    return event


def _day_for(ctx: Context, *people: Person) -> date | None:
    """An event date in the last 30 days, after everyone's latest civil-status event and not before their
    birth; None when that would be in the future."""
    day = max([ctx.days_ago(0, 30)] + [p.date_of_birth for p in people]
              + [p.last_civil_date + timedelta(days=1) for p in people])
    return day if day <= ctx.today else None


def birth(ctx: Context) -> str | None:
    """A child born to a living woman of 18-45, registered, then added to the population register."""
    mother = _living(ctx, lambda p: p.female and 18 <= p.age(ctx.today) <= 45)
    if mother is None:
        return None
    day = ctx.days_ago(0, 30)
    # Birth registered where the mother lives: a 2025 province code, which CCCDs also use.
    child = make_person(ctx, born=day, female=ctx.chance(0.49), cccd_province=mother.address.province_code)
    father = ctx.world.people.get(mother.spouse) if mother.spouse else None
    family = (father or mother).full_name.split(" ")[0]
    child.full_name = " ".join([family, *child.full_name.split(" ")[1:]])
    child.address, child.ethnicity, child.phone = mother.address, mother.ethnicity, None
    child.place_of_origin = (father or mother).place_of_origin
    event = _event(ctx, "BIRTH", child, mother, day)
    ctx.emit(CIVIL, "c", event.civil_event_id, event.record())
    add_person(ctx, child)
    ctx.emit(CITIZEN, "c", child.cccd, child.record())
    if INSURANCE in ctx.datasets:
        ctx.later(ctx.between(1, 30), insurance_create, child.cccd)
    return event.civil_event_id


def death(ctx: Context) -> str | None:
    """A death, mostly of the old; the spouse is widowed, insurance stops, enterprises get a new representative."""
    person = _living(ctx, lambda p: p.age(ctx.today) >= 65 or ctx.chance(0.1), tries=10)
    day = _day_for(ctx, person) if person is not None else None
    if person is None or day is None:
        return None
    event = _event(ctx, "DEATH", person, None, day, occurred_at=ctx.instant_on(day))
    ctx.emit(CIVIL, "c", event.civil_event_id, event.record())
    person.alive, person.last_civil_date = False, day
    ctx.world.living.discard(person.cccd)
    ctx.world.insured.discard(person.cccd)
    if person.spouse is not None:
        spouse = ctx.world.people[person.spouse]
        spouse.spouse, spouse.last_civil_date = None, max(spouse.last_civil_date, day)
        ctx.world.married.discard(spouse.cccd)
        ctx.world.married.discard(person.cccd)
    if INSURANCE in ctx.datasets:
        ctx.later(ctx.between(1, 20), insurance_stop_on_death, person.cccd, day)
    for tax_code in ctx.world.represented.get(person.cccd, []):
        ctx.later(ctx.between(1, 50), replace_representative, tax_code)
    return event.civil_event_id


def _may_marry(ctx: Context, p: Person) -> bool:
    return p.spouse is None and p.age(ctx.today) >= (18 if p.female else 20)


def marriage(ctx: Context) -> str | None:
    first = _living(ctx, lambda p: _may_marry(ctx, p))
    if first is None:
        return None
    second = _living(ctx, lambda p: p.female != first.female and _may_marry(ctx, p))
    day = _day_for(ctx, first, second) if second is not None else None
    if second is None or day is None:
        return None
    event = _event(ctx, "MARRIAGE", first, second, day)
    ctx.emit(CIVIL, "c", event.civil_event_id, event.record())
    for a, b in ((first, second), (second, first)):
        a.spouse, a.last_civil_date = b.cccd, day
        ctx.world.married.add(a.cccd)
    return event.civil_event_id


def divorce(ctx: Context) -> str | None:
    cccd = ctx.world.married.choice(ctx.rng)
    if cccd is None:
        return None
    first = ctx.world.people[cccd]
    assert first.spouse is not None
    second = ctx.world.people[first.spouse]
    day = _day_for(ctx, first, second)
    if day is None:
        return None
    event = _event(ctx, "DIVORCE", first, second, day)
    ctx.emit(CIVIL, "c", event.civil_event_id, event.record())
    for person in (first, second):
        person.spouse, person.last_civil_date = None, day
        ctx.world.married.discard(person.cccd)
    return event.civil_event_id


def civil_correction(ctx: Context, target: str | None = None) -> str | None:
    """The registration number of an event corrected (op u): nothing a golden record reads changes."""
    event_id = target or ctx.world.civil_ids.choice(ctx.rng)
    if event_id is None:
        return None
    event = ctx.world.civil_events[event_id]
    event.registration_number = f"{ctx.between(1, 999)}/{event.registration_date.year}"
    ctx.emit(CIVIL, "u", event_id, event.record())
    return event_id


def civil_mistake(ctx: Context) -> str | None:
    """A birth registered twice by mistake (same facts, new id), the copy deleted a little later."""
    original_id = ctx.world.civil_ids.choice(ctx.rng)
    original = ctx.world.civil_events[original_id] if original_id is not None else None
    if original is None or original.event_type != "BIRTH":
        return None
    copy_id = ctx.new_id(_PREFIX[original.event_type])
    record = {**original.record(), "civil_event_id": copy_id,
              "registration_number": f"{ctx.between(1, 999)}/{original.registration_date.year}"}
    ctx.emit(CIVIL, "c", copy_id, record)
    ctx.later(ctx.between(5, 200), delete, CIVIL, copy_id)
    return copy_id
