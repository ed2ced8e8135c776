"""World actions of the population register and social insurance.

An action changes the world and emits the changes the owning ministries would send; it returns the key it
changed, or None when nothing fits (e.g. no living person yet). Follow-ups (a new citizen's insurance, a
mistaken record's deletion) are scheduled with :meth:`Context.later`.
"""

from __future__ import annotations

from datetime import date, timedelta

from producers.simulator.context import Context
from producers.simulator.pools import ETHNICITIES, ETHNICITY_WEIGHTS
from producers.simulator.world import Participation, Person

CITIZEN = "population.citizen"
INSURANCE = "social_insurance.participant"
_ETHNIC_CUM = tuple(sum(ETHNICITY_WEIGHTS[:i + 1]) for i in range(len(ETHNICITY_WEIGHTS)))


def _ethnicity(ctx: Context) -> str:
    r = ctx.rng.random() * _ETHNIC_CUM[-1]
    return next(e for e, c in zip(ETHNICITIES, _ETHNIC_CUM) if r < c)


def make_person(ctx: Context, born: date | None = None, female: bool | None = None,
                cccd_province: str | None = None) -> Person:
    """A new person (not yet in the world): born ``born`` or between 1940 and yesterday; the birth registered
    in ``cccd_province`` or, by default, the province of origin."""
    female = ctx.chance(0.5) if female is None else female
    born = born or date(1940, 1, 1) + timedelta(days=ctx.below((ctx.today - date(1940, 1, 1)).days))
    origin = ctx.pick(ctx.origins)
    name = ctx.pick(ctx.pools.female_names if female else ctx.pools.male_names)
    adult = ctx.today.year - born.year >= 15
    cccd = ctx.new_cccd(cccd_province or origin.code, female, born)
    return Person(cccd=cccd, full_name=name, date_of_birth=born, female=female,
                  place_of_origin=origin.name, address=ctx.address(), ethnicity=_ethnicity(ctx),
                  phone=ctx.mobile() if adult and ctx.chance(0.85) else None)


def add_person(ctx: Context, person: Person) -> None:
    ctx.world.people[person.cccd] = person
    ctx.world.living.add(person.cccd)


def citizen_create(ctx: Context) -> str | None:
    person = make_person(ctx)
    add_person(ctx, person)
    ctx.emit(CITIZEN, "c", person.cccd, person.record())
    if INSURANCE in ctx.datasets:
        ctx.later(ctx.between(1, 30), insurance_create, person.cccd)
    return person.cccd


def citizen_update(ctx: Context, target: str | None = None) -> str | None:
    """A move, a new phone, or a corrected place of origin of a living person."""
    cccd = target or ctx.world.living.choice(ctx.rng)
    if cccd is None:
        return None
    person = ctx.world.people[cccd]
    r = ctx.rng.random()
    if r < 0.5:
        person.address = ctx.address()
    elif r < 0.9:
        person.phone = ctx.mobile() if person.phone is None or ctx.chance(0.9) else None
    else:
        person.place_of_origin = ctx.pick(ctx.origins).name
    ctx.emit(CITIZEN, "u", cccd, person.record())
    return cccd


def citizen_mistake(ctx: Context) -> str | None:
    """A citizen registered by mistake and deleted a little later; nothing else refers to it."""
    person = make_person(ctx)
    ctx.emit(CITIZEN, "c", person.cccd, person.record())
    ctx.later(ctx.between(5, 200), delete, CITIZEN, person.cccd)
    return person.cccd


def delete(ctx: Context, dataset: str, key: str) -> None:
    """Follow-up: the source deletes a record it created by mistake."""
    ctx.emit(dataset, "d", key, None)


def insurance_create(ctx: Context, cccd: str) -> None:
    """The participation of a person who has none: by age, employer and chance."""
    person = ctx.world.people[cccd]
    if not person.alive or cccd in ctx.world.participations:
        return
    age = person.age(ctx.today)
    employer = ctx.world.open_enterprises.choice(ctx.rng) if 18 <= age < 62 else None
    r = ctx.rng.random()
    if employer is not None and r < 0.55:
        scheme, base = "COMPULSORY", ctx.money(5_000_000, 40_000_000, 100_000)
        ctx.world.enterprises[employer].employees.append(cccd)
    elif 18 <= age < 62 and r < 0.7:
        scheme, base, employer = "VOLUNTARY", ctx.money(1_500_000, 10_000_000, 50_000), None
    else:
        scheme, base, employer = "HEALTH_ONLY", None, None
    start = max(person.date_of_birth, ctx.days_ago(0, 3650))
    participation = Participation(si_code=ctx.new_si_code(person.address.province_code), cccd=cccd,
                                  employer_tax_code=employer, scheme=scheme, monthly_contribution_base=base,
                                  status="ACTIVE", start_date=start, end_date=None,
                                  province_code=person.address.province_code)
    ctx.world.participations[cccd] = participation
    ctx.world.insured.add(cccd)
    person.si_code = participation.si_code
    ctx.emit(INSURANCE, "c", participation.si_code, participation.record())


def insurance_update(ctx: Context, target: str | None = None) -> str | None:
    """A living participant changes employer, salary or status; ``target`` and the result are CCCDs."""
    cccd = target or ctx.world.insured.choice(ctx.rng)
    if cccd is None:
        return None
    p = ctx.world.participations[cccd]
    r = ctx.rng.random()
    if p.status == "STOPPED" or r < 0.3:
        _restart(ctx, p)
    elif p.scheme != "HEALTH_ONLY" and r < 0.6:
        assert p.monthly_contribution_base is not None
        p.monthly_contribution_base += ctx.money(100_000, 2_000_000, 100_000)
    elif r < 0.8:
        p.status = "SUSPENDED" if p.status == "ACTIVE" else "ACTIVE"
    else:
        _leave_employer(ctx, p)
        p.status, p.end_date = "STOPPED", max(p.start_date, ctx.today)
    ctx.emit(INSURANCE, "u", p.si_code, p.record())
    return cccd


def _restart(ctx: Context, p: Participation) -> None:
    """A new job with an open enterprise (or voluntary cover when there is none)."""
    _leave_employer(ctx, p)
    employer = ctx.world.open_enterprises.choice(ctx.rng)
    if employer is not None:
        p.scheme, p.employer_tax_code = "COMPULSORY", employer
        p.monthly_contribution_base = ctx.money(5_000_000, 40_000_000, 100_000)
        ctx.world.enterprises[employer].employees.append(p.cccd)
    else:
        p.scheme, p.employer_tax_code = "VOLUNTARY", None
        p.monthly_contribution_base = ctx.money(1_500_000, 10_000_000, 50_000)
    p.status, p.start_date, p.end_date = "ACTIVE", ctx.today, None


def _leave_employer(ctx: Context, p: Participation) -> None:
    if p.employer_tax_code is not None:
        employees = ctx.world.enterprises[p.employer_tax_code].employees
        if p.cccd in employees:
            employees.remove(p.cccd)
        p.employer_tax_code = None


def insurance_lose_employer(ctx: Context, cccd: str) -> None:
    """Follow-up of an enterprise closing: the employee goes on voluntary cover."""
    p = ctx.world.participations.get(cccd)
    if p is None or not ctx.world.people[cccd].alive or p.employer_tax_code is None:
        return
    p.employer_tax_code, p.scheme = None, "VOLUNTARY"
    p.monthly_contribution_base = ctx.money(1_500_000, 10_000_000, 50_000)
    ctx.emit(INSURANCE, "u", p.si_code, p.record())


def insurance_stop_on_death(ctx: Context, cccd: str, died: date) -> None:
    p = ctx.world.participations.get(cccd)
    if p is None or p.status == "STOPPED":
        return
    _leave_employer(ctx, p)
    p.status, p.end_date = "STOPPED", max(p.start_date, died)
    ctx.emit(INSURANCE, "u", p.si_code, p.record())


def insurance_mistake(ctx: Context) -> str | None:
    """A second participation opened by mistake for an insured person, deleted a little later."""
    cccd = ctx.world.insured.choice(ctx.rng)
    if cccd is None:
        return None
    person = ctx.world.people[cccd]
    wrong = Participation(si_code=ctx.new_si_code(person.address.province_code), cccd=cccd, employer_tax_code=None,
                          scheme="HEALTH_ONLY", monthly_contribution_base=None, status="ACTIVE",
                          start_date=max(person.date_of_birth, ctx.today - timedelta(days=30)), end_date=None,
                          province_code=person.address.province_code)
    ctx.emit(INSURANCE, "c", wrong.si_code, wrong.record())
    ctx.later(ctx.between(5, 200), delete, INSURANCE, wrong.si_code)
    return wrong.si_code
