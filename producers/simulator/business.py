"""World actions of the business register and the land register.

Enterprises are represented by living adult citizens and employ insured ones; land is held by living
citizens, open enterprises, the State or others. A closed enterprise (dissolved, bankrupt, ceased) takes
part in nothing afterwards and its employees move to voluntary insurance.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from producers.simulator.context import Context
from producers.simulator.people import INSURANCE, delete, insurance_lose_employer
from producers.simulator.pools import BUSINESS_LINES
from producers.simulator.world import Enterprise, Parcel, Person

ENTERPRISE = "enterprise.registration"
LAND = "land.parcel"

LEGAL_FORMS = (  # (form, weight, Vietnamese name prefix, English suffix)
    ("LLC_ONE_MEMBER", 30, "Công ty TNHH Một thành viên", "One Member Company Limited"),
    ("LLC_MULTI_MEMBER", 25, "Công ty TNHH", "Company Limited"),
    ("JOINT_STOCK", 15, "Công ty Cổ phần", "Joint Stock Company"),
    ("PRIVATE_ENTERPRISE", 5, "Doanh nghiệp tư nhân", "Private Enterprise"),
    ("PARTNERSHIP", 1, "Công ty Hợp danh", "Partnership"),
    ("COOPERATIVE", 4, "Hợp tác xã", "Cooperative"),
    ("HOUSEHOLD_BUSINESS", 20, "Hộ kinh doanh", None),
)
_FORM_CUM = tuple(sum(f[1] for f in LEGAL_FORMS[:i + 1]) for i in range(len(LEGAL_FORMS)))
CLOSED = ("DISSOLVED", "BANKRUPT", "CEASED_BY_REORGANISATION")
_NEXT_STATUS = {
    "ACTIVE": ("SUSPENDED", "NOT_AT_REGISTERED_ADDRESS", "DISSOLVING", "ACTIVE"),
    "SUSPENDED": ("ACTIVE", "DISSOLVING"),
    "NOT_AT_REGISTERED_ADDRESS": ("ACTIVE", "REVOKED_FOR_TAX_ENFORCEMENT"),
    "REVOKED_FOR_TAX_ENFORCEMENT": ("ACTIVE", "DISSOLVING"),
    "DISSOLVING": ("DISSOLVED", "BANKRUPTCY_PROCEEDINGS"),
    "BANKRUPTCY_PROCEEDINGS": ("BANKRUPT",),
}
LAND_USES = {"CITIZEN": ("ONT", "ODT", "LUC", "CLN", "BHK"), "ENTERPRISE": ("SKC", "TMD", "SKK"),
             "STATE": ("DGT", "DTL", "DGD"), "OTHER": ("TON", "TIN", "NTD")}


def ascii_fold(text: str) -> str:
    """``text`` without Vietnamese diacritics (đ → d), for e-mail names."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _adult(ctx: Context, tries: int = 20) -> Person | None:
    for _ in range(tries):
        cccd = ctx.world.living.choice(ctx.rng)
        if cccd is None:
            return None
        if ctx.world.people[cccd].age(ctx.today) >= 18:
            return ctx.world.people[cccd]
    return None


def _represent(ctx: Context, enterprise: Enterprise, person: Person | None) -> None:
    if enterprise.legal_representative_cccd is not None:
        ctx.world.represented.get(enterprise.legal_representative_cccd, []).remove(enterprise.tax_code)
    enterprise.legal_representative_cccd = person.cccd if person else None
    if person is not None:
        ctx.world.represented.setdefault(person.cccd, []).append(enterprise.tax_code)


def make_enterprise(ctx: Context, representative: Person, tax_code: str | None = None) -> Enterprise:
    """A new enterprise (not yet in the world)."""
    r = ctx.rng.random() * _FORM_CUM[-1]
    form, _, prefix, suffix = next(f for f, c in zip(LEGAL_FORMS, _FORM_CUM) if r < c)
    word, word_en, industry = ctx.pick(BUSINESS_LINES)
    brand = ctx.pick(ctx.pools.brands)
    english = f"{ascii_fold(brand)} {word_en} {suffix}" if suffix and ctx.chance(0.5) else None
    slug = ascii_fold(brand).lower().replace(" ", "")
    return Enterprise(
        tax_code=tax_code or ctx.new_mst(), name=f"{prefix} {word} {brand}", name_en=english,
        short_name=f"{ascii_fold(brand).upper()} {word_en.upper()}" if english and ctx.chance(0.6) else None,
        legal_form=form, state_owned=form in ("LLC_ONE_MEMBER", "JOINT_STOCK") and ctx.chance(0.03),
        status="ACTIVE", registration_date=max(date(1991, 1, 1), ctx.days_ago(0, 365 * 25)),
        main_industry_code=industry, address=ctx.address(), legal_representative_cccd=None,
        charter_capital=ctx.money(100_000_000, 50_000_000_000, 100_000_000),
        phone=(ctx.landline() if ctx.chance(0.5) else ctx.mobile()) if ctx.chance(0.8) else None,
        email=f"lienhe@{slug}.vn" if ctx.chance(0.6) else None)


def enterprise_create(ctx: Context) -> str | None:
    """A new enterprise or, one time in twenty, a branch of an open one (tax code with a suffix)."""
    representative = _adult(ctx)
    if representative is None:
        return None
    parent_code = ctx.world.open_enterprises.choice(ctx.rng) if ctx.chance(0.05) else None
    if parent_code is not None and "-" not in parent_code:
        branch_code = ctx.fresh(lambda: f"{parent_code}-{ctx.between(1, 999):03d}")
        enterprise = make_enterprise(ctx, representative, branch_code)
        parent = ctx.world.enterprises[parent_code]
        enterprise.name, enterprise.legal_form = f"Chi nhánh {parent.name}", parent.legal_form
    else:
        enterprise = make_enterprise(ctx, representative)
    _represent(ctx, enterprise, representative)
    ctx.world.enterprises[enterprise.tax_code] = enterprise
    ctx.world.open_enterprises.add(enterprise.tax_code)
    ctx.emit(ENTERPRISE, "c", enterprise.tax_code, enterprise.record())
    return enterprise.tax_code


def enterprise_update(ctx: Context, target: str | None = None) -> str | None:
    """A status change, move, capital change, new representative or new phone of an open enterprise."""
    tax_code = target or ctx.world.open_enterprises.choice(ctx.rng)
    if tax_code is None or tax_code not in ctx.world.open_enterprises:
        return None
    enterprise = ctx.world.enterprises[tax_code]
    r = ctx.rng.random()
    if r < 0.3 and enterprise.status in _NEXT_STATUS:
        enterprise.status = ctx.pick(_NEXT_STATUS[enterprise.status])
    elif r < 0.5:
        enterprise.address = ctx.address()
    elif r < 0.7:
        enterprise.charter_capital += ctx.money(100_000_000, 5_000_000_000, 100_000_000)
    elif r < 0.85:
        _represent(ctx, enterprise, _adult(ctx) or ctx.world.people.get(enterprise.legal_representative_cccd or ""))
    else:
        enterprise.phone = ctx.mobile()
    ctx.emit(ENTERPRISE, "u", tax_code, enterprise.record())
    if enterprise.status in CLOSED:
        _close(ctx, enterprise)
    return tax_code


def _close(ctx: Context, enterprise: Enterprise) -> None:
    ctx.world.open_enterprises.discard(enterprise.tax_code)
    if INSURANCE in ctx.datasets:
        for cccd in list(enterprise.employees):
            ctx.later(ctx.between(1, 40), insurance_lose_employer, cccd)


def replace_representative(ctx: Context, tax_code: str) -> None:
    """Follow-up of a representative's death: an open enterprise names a living adult."""
    enterprise = ctx.world.enterprises[tax_code]
    if tax_code not in ctx.world.open_enterprises:
        return
    _represent(ctx, enterprise, _adult(ctx))
    ctx.emit(ENTERPRISE, "u", tax_code, enterprise.record())


def enterprise_mistake(ctx: Context) -> str | None:
    """An enterprise registered by mistake and deleted a little later; nothing else refers to it."""
    representative = _adult(ctx)
    if representative is None:
        return None
    enterprise = make_enterprise(ctx, representative)
    enterprise.legal_representative_cccd = representative.cccd
    ctx.emit(ENTERPRISE, "c", enterprise.tax_code, enterprise.record())
    ctx.later(ctx.between(5, 200), delete, ENTERPRISE, enterprise.tax_code)
    return enterprise.tax_code


# --- land --------------------------------------------------------------------------------------------
def _owner(ctx: Context, parcel: Parcel) -> None:
    """Give ``parcel`` a new holder (the State when no living citizen or open enterprise is at hand)."""
    r = ctx.rng.random()
    kind, cccd, tax_code = ("STATE" if r < 0.92 else "OTHER"), None, None
    if r < 0.7:
        person = _adult(ctx)
        kind, cccd = ("CITIZEN", person.cccd) if person else ("STATE", None)
    elif r < 0.85:
        tax_code = ctx.world.open_enterprises.choice(ctx.rng)
        kind = "ENTERPRISE" if tax_code else "STATE"
    parcel.owner_kind, parcel.owner_cccd, parcel.owner_tax_code = kind, cccd, tax_code
    parcel.land_use_code = ctx.pick(LAND_USES[kind])
    issued = ctx.chance(0.9)
    parcel.certificate_number = f"{ctx.pick(('AA', 'BA', 'CS', 'DB', 'DK'))} {ctx.below(1_000_000):06d}" \
        if issued else None
    parcel.certificate_issue_date = ctx.today if issued else None


def _new_parcel(ctx: Context, area: Decimal, like: Parcel | None = None) -> Parcel:
    if like is None:
        ward = ctx.pick(ctx.wards)
        ward_code, province = ward.ward_code, ward.province_code
    else:
        ward_code, province = like.ward_code, like.province_code
    sheet, number = ctx.between(1, 60), ctx.between(1, 9999)
    parcel_id = ctx.fresh(lambda: f"{ward_code}-{sheet:02d}-{number:04d}-{ctx.below(100):02d}")
    parcel = Parcel(parcel_id=parcel_id, map_sheet_number=sheet, parcel_number=number, province_code=province,
                    ward_code=ward_code, area_m2=area, land_use_code="", owner_kind="STATE", owner_cccd=None,
                    owner_tax_code=None, certificate_number=None, certificate_issue_date=None)
    if like is None:
        _owner(ctx, parcel)
        if parcel.certificate_issue_date is not None:
            parcel.certificate_issue_date = ctx.days_ago(0, 365 * 20)
    else:
        for name in ("land_use_code", "owner_kind", "owner_cccd", "owner_tax_code"):
            setattr(parcel, name, getattr(like, name))
        parcel.certificate_number = f"{ctx.pick(('CS', 'DB'))} {ctx.below(1_000_000):06d}"
        parcel.certificate_issue_date = ctx.today
    ctx.world.parcels[parcel_id] = parcel
    ctx.world.parcel_ids.add(parcel_id)
    return parcel


def parcel_create(ctx: Context) -> str | None:
    parcel = _new_parcel(ctx, Decimal(ctx.between(300, 20_000)) / 10)
    ctx.emit(LAND, "c", parcel.parcel_id, parcel.record())
    return parcel.parcel_id


def parcel_update(ctx: Context, target: str | None = None) -> str | None:
    """A transfer to a new holder (new certificate) or a corrected area."""
    parcel_id = target or ctx.world.parcel_ids.choice(ctx.rng)
    if parcel_id is None:
        return None
    parcel = ctx.world.parcels[parcel_id]
    if ctx.chance(0.7):
        _owner(ctx, parcel)
    else:
        parcel.area_m2 = max(Decimal("1.0"), parcel.area_m2 + Decimal(ctx.between(-50, 50)) / 10)
    ctx.emit(LAND, "u", parcel_id, parcel.record())
    return parcel_id


def _holder_active(ctx: Context, parcel: Parcel) -> bool:
    if parcel.owner_cccd is not None:
        return ctx.world.people[parcel.owner_cccd].alive
    return parcel.owner_tax_code is None or parcel.owner_tax_code in ctx.world.open_enterprises


def parcel_split(ctx: Context) -> str | None:
    """A parcel divided in two: it is deleted and two parcels with the same holder created."""
    parcel_id = ctx.world.parcel_ids.choice(ctx.rng)
    if parcel_id is None or not _holder_active(ctx, ctx.world.parcels[parcel_id]):
        return None
    parcel = ctx.world.parcels.pop(parcel_id)
    ctx.world.parcel_ids.discard(parcel_id)
    ctx.emit(LAND, "d", parcel_id, None)
    half = (parcel.area_m2 / 2).quantize(Decimal("0.1"))
    for area in (half, parcel.area_m2 - half):
        ctx.emit(LAND, "c", (child := _new_parcel(ctx, max(area, Decimal("0.1")), like=parcel)).parcel_id,
                 child.record())
    return parcel_id
