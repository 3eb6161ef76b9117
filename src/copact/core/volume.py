"""A volume commitment with rebate: purchases recorded and confirmed month by month, the
buyer's forecast, and each contract year's true-up (issue 15 §2, DESIGN §7).

The deal's section reads ``volume: {commitment: 24000, unit: housing, per: year,
term-months: 24, price: 6.85, rebate: [{at-least: 30000, rebate: 3%}, {at-least: 36000,
rebate: 5%}], forecast: rolling-quarterly, true-up: annual, shortfall: invoice|none, from}``.
The purchases are ordinary trade, billed by the parties' ERP; copact records them to count
the commitment and the rebate, and issues the true-up's documents. Each step is a guard here:

1. :func:`record_purchases`: a person of the buyer or of the supplier records the units of a
   month (``2027-03``, a month that has begun, inside the term) under the ERP's call-off or
   invoice number (``ref``, used once): a positive whole quantity, ``amount = quantity ×
   price`` half-even to the minor unit. They count once a person of the **other** party
   confirms them (:func:`confirm_purchases`), as a payment counts once its payee confirms it.
2. :func:`record_forecast`: a person of the buyer forecasts its purchases for consecutive
   periods from a month (not one already over): months, quarters or years as
   ``volume.forecast`` says (``rolling-monthly``, ``rolling-quarterly``, ``annual``). The
   latest forecast stands.
3. :func:`true_up_volume`: after a contract year has ended, its confirmed quantity gives the
   tier reached (the highest ``at-least`` at or below it) and the **rebate** = the tier's rate
   × the year's confirmed purchase amount, half-even to the minor unit once on the sum,
   issued as a credit note from the supplier to the buyer (``for: rebate``, ``period`` the
   contract year), VAT on top at the deal's rate (the rebate lowers the net price of supplies
   that were billed net plus VAT, so it gives back the VAT on what it gives back; no VAT
   outside a standard rate); and, with ``shortfall: invoice``, a year below the commitment
   is invoiced ``(commitment − quantity) × price`` (a line ``volume:2026:shortfall``, VAT
   by the deal's rule). Each document once per year; unconfirmed purchases do not count, and
   once a year has one of them its purchases can no longer be recorded or confirmed.

Contract years run ``per`` (12 months for ``year``) from the first of the month of
``volume.from`` (else the deal's ``effective`` date), within ``term-months``; a year is named
by the calendar year it starts in (``2026`` for July 2026 to June 2027), a quarter or month by
its first month (``2026-07``). A last period that the term cuts short has the commitment and
the tiers in proportion to its months. After an exit has taken effect nothing but its
settlement moves money, so a contract year the exit cuts short is not trued up; one that ended
before the exit takes effect is trued up during the notice.

Worked example (heat-sensor-housing, no VAT): contract year 2026 with 31,200 housings
confirmed × 6.85 = 213,720.00 reaches the 3% tier: a credit note of 6,411.60; 36,000 reach
5%; 29,999 reach none. With ``shortfall: invoice``, 20,000 housings leave 4,000 × 6.85 =
27,400.00 to invoice.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from copact.core.bounds import check_reach
from copact.core.deal import Deal
from copact.core.events import (
    CreditNote,
    ForecastRecorded,
    Invoice,
    InvoiceLine,
    PurchasesConfirmed,
    PurchasesRecorded,
    day_of,
)
from copact.core.invoicing import (
    buyer_of,
    line_for,
    only_supplier,
    period_credit_note,
    period_invoice,
    person_of,
)
from copact.core.mechanisms import RebateTier, Volume
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.state import DealState

__all__ = [
    "ContractYear",
    "Purchase",
    "VolumeView",
    "VolumeYear",
    "VolumeYearRow",
    "confirm_purchases",
    "contract_year",
    "contract_years",
    "credit_rebate",
    "invoice_shortfall",
    "purchase_amount",
    "rebate_of",
    "record_forecast",
    "record_purchases",
    "shortfall_of",
    "tier_of",
    "true_up_volume",
    "volume_view",
    "year_label_of",
]

At = date | datetime

_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_FORECAST = {"rolling-monthly": 1, "rolling-quarterly": 3, "annual": 12}


# -- the fold's records --


@dataclass(frozen=True, slots=True)
class Purchase:
    """Recorded purchases and who confirmed them (``None``: they do not count yet)."""

    recorded: PurchasesRecorded
    confirmed_by: str | None = None
    confirmed_on: date | None = None


@dataclass(frozen=True, slots=True)
class VolumeYear:
    """A contract year's purchases so far: confirmed (they count) and pending, and the
    documents its true-up issued."""

    quantity: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    pending_quantity: Decimal = Decimal(0)
    pending: int = 0
    rebate_note: str | None = None
    rebate: Decimal = Decimal(0)  # the credit note's net
    shortfall_invoice: str | None = None
    shortfall: Decimal = Decimal(0)  # the invoice's net

    @property
    def closed(self) -> bool:
        """A true-up document was issued: the year's purchases are final."""
        return self.rebate_note is not None or self.shortfall_invoice is not None


# -- contract years --


@dataclass(frozen=True, slots=True)
class ContractYear:
    """A contract period: its name, first day, the first day after it, and its months (fewer
    than ``per``'s when the term cuts it short)."""

    label: str
    first: date
    after: date
    months: int
    per_months: int

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def scale(self) -> Decimal:
        """The share of a full period it is: 1, or less for a period the term cuts short."""
        return Decimal(self.months) / Decimal(self.per_months)


def _terms(deal: Deal) -> Volume:
    if deal.volume is None:
        raise RefusedCommand(f"{deal.id} has no volume commitment")
    return deal.volume


def _plus(first: date, months: int) -> date:
    n = first.month - 1 + months
    return date(first.year + n // 12, n % 12 + 1, 1)


def _month(period: str) -> date:
    try:
        year, month = period.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise RefusedCommand(f"{period!r} is not a month like 2027-03") from None


def _start(deal: Deal) -> date:
    v = _terms(deal)
    return (v.from_ or deal.effective).replace(day=1)


def _label(first: date, per_months: int) -> str:
    return str(first.year) if per_months == 12 else f"{first:%Y-%m}"


def _year_at(deal: Deal, index: int) -> ContractYear | None:
    """The ``index``-th contract period (from 0), or ``None`` past the term."""
    v = _terms(deal)
    per = _MONTHS[v.per]
    start = _start(deal)
    begin = index * per
    months = per
    if v.term_months is not None:
        if begin >= v.term_months:
            return None
        months = min(per, v.term_months - begin)
    first = _plus(start, begin)
    return ContractYear(_label(first, per), first, _plus(first, months), months, per)


def contract_years(deal: Deal, *, until: date | None = None) -> list[ContractYear]:
    """The deal's contract periods in order: every one of the term, or, without a term, those
    begun by ``until``."""
    years = []
    index = 0
    while (year := _year_at(deal, index)) is not None:
        if _terms(deal).term_months is None and (until is None or year.first > until):
            break
        years.append(year)
        index += 1
    return years


def _index_of(deal: Deal, month: date) -> int | None:
    start = _start(deal)
    offset = (month.year - start.year) * 12 + month.month - start.month
    if offset < 0:
        return None
    return offset // _MONTHS[_terms(deal).per]


def year_label_of(deal: Deal, period: str) -> str | None:
    """The contract period a month ``2027-03`` falls in, or ``None`` outside the term."""
    month = _month(period)
    try:
        check_reach(deal, month)
    except RefusedCommand:  # past any term (the fold asks too: it answers, never raises)
        return None
    index = _index_of(deal, month)
    year = _year_at(deal, index) if index is not None else None
    return year.label if year is not None and _month(period) < year.after else None


def contract_year(deal: Deal, label: str) -> ContractYear:
    """The contract period named ``label`` (``2026``, or ``2026-07`` for a quarter or month),
    or a refusal naming the deal's."""
    per = _MONTHS[_terms(deal).per]
    try:
        first = date(int(label), _start(deal).month, 1) if per == 12 else _month(label)
    except ValueError:
        first = None
    if first is not None:
        check_reach(deal, first, what=f"contract period {label}, starting")
    index = _index_of(deal, first) if first is not None and len(label) in (4, 7) else None
    year = _year_at(deal, index) if index is not None else None
    if year is None or year.label != label:
        years = [y.label for y in contract_years(deal)]
        names = ", ".join(years[:4]) + (", …" if len(years) > 4 else "")
        raise RefusedCommand(
            f"{label!r} is not a contract {_terms(deal).per} of {deal.id}"
            + (f" (they are {names})" if years else "")
        )
    return year


# -- money --


def purchase_amount(deal: Deal, quantity: Decimal) -> Money:
    """quantity × price, half-even to the minor unit."""
    v = _terms(deal)
    if v.price is None:
        raise RefusedCommand(f"{deal.id}'s volume commitment names no price (volume.price)")
    return Money.of(quantity * v.price, deal.currency).quantize()


def _commitment(deal: Deal, year: ContractYear) -> Decimal:
    return _terms(deal).commitment * year.scale


def _tiers(deal: Deal, year: ContractYear) -> list[tuple[Decimal, RebateTier]]:
    """The rebate tiers, lowest threshold first, each with its threshold for this year."""
    return sorted(((t.at_least * year.scale, t) for t in _terms(deal).rebate), key=lambda x: x[0])


def tier_of(deal: Deal, year: ContractYear, quantity: Decimal) -> RebateTier | None:
    """The tier ``quantity`` reaches: the highest ``at-least`` at or below it, or ``None``."""
    reached = None
    for threshold, tier in _tiers(deal, year):
        if threshold <= quantity:
            reached = tier
    return reached


def rebate_of(deal: Deal, year: ContractYear, quantity: Decimal, amount: Money) -> Money:
    """The year's rebate: the reached tier's rate × its purchase amount, rounded once."""
    tier = tier_of(deal, year, quantity)
    if tier is None:
        return Money.zero(deal.currency).quantize()
    return amount.times(tier.rebate.fraction)


def shortfall_of(deal: Deal, year: ContractYear, quantity: Decimal) -> Money:
    """(commitment − quantity) × price for a year below the commitment, else zero."""
    short = _commitment(deal, year) - quantity
    if short <= 0:
        return Money.zero(deal.currency).quantize()
    return purchase_amount(deal, short)


# -- 1. purchases --


def _sides(deal: Deal) -> tuple[str, str]:
    return buyer_of(deal), only_supplier(deal, "the volume commitment")


def _whole(quantity: Decimal, what: str) -> None:
    if quantity != quantity.to_integral_value():
        raise RefusedCommand(f"{what} {quantity} is not a whole number of units")


def record_purchases(
    deal: Deal,
    state: DealState,
    *,
    period: str,
    quantity: Decimal,
    ref: str,
    by: str,
    at: At,
    amount: Decimal | None = None,
) -> list[PurchasesRecorded]:
    """Record a month's purchases under an ERP reference (see the module docstring)."""
    v = _terms(deal)
    buyer, supplier = _sides(deal)
    party = person_of(deal, by)
    if party not in (buyer, supplier):
        raise RefusedCommand(f"{by} of {party} is neither {buyer} nor {supplier}")
    if quantity <= 0:
        raise RefusedCommand(f"a quantity of {quantity} {v.unit}: purchases are positive")
    _whole(quantity, "a quantity of")
    month = _month(period)
    label = year_label_of(deal, period)
    if label is None:
        years = contract_years(deal, until=day_of(at))
        span = f"{years[0].first:%Y-%m} to {years[-1].last:%Y-%m}" if years else "nothing yet"
        raise RefusedCommand(f"{period} is outside the volume commitment's term ({span})")
    if day_of(at) < month:
        raise RefusedCommand(f"{period} has not begun: purchases are recorded once made")
    if ref in state.purchases:
        earlier = state.purchases[ref].recorded
        raise RefusedCommand(
            f"purchases {ref} were already recorded on {earlier.day} by {earlier.by} "
            f"({earlier.quantity:,} {v.unit} in {earlier.period})"
        )
    year = state.volume_years.get(label)
    if year is not None and year.closed:
        raise RefusedCommand(f"contract year {label} is trued up: its purchases are final")
    expected = purchase_amount(deal, quantity)
    if amount is not None and amount != expected.amount:
        raise RefusedCommand(
            f"{quantity:,} {v.unit} × {v.price} is {expected.amount:,}, not {amount:,}"
        )
    return [
        PurchasesRecorded(
            at=at,
            deal=deal.id,
            period=period,
            quantity=quantity,
            amount=expected.amount,
            ref=ref,
            by=by,
        )
    ]


def confirm_purchases(
    deal: Deal, state: DealState, *, ref: str, by: str, at: At
) -> list[PurchasesConfirmed]:
    """A person of the party that did not record purchases confirms them; they count from
    then on."""
    purchase = state.purchases.get(ref)
    if purchase is None:
        raise RefusedCommand(f"no purchases {ref} are recorded")
    if purchase.confirmed_by is not None:
        raise RefusedCommand(f"purchases {ref} were already confirmed by {purchase.confirmed_by}")
    recorder = person_of(deal, purchase.recorded.by)
    party = person_of(deal, by)
    if party == recorder:
        raise RefusedCommand(
            f"{by} of {party} cannot confirm purchases {party} recorded: the other party does"
        )
    label = year_label_of(deal, purchase.recorded.period)
    year = state.volume_years.get(label) if label is not None else None
    if year is not None and year.closed:
        raise RefusedCommand(f"contract year {label} is trued up: its purchases are final")
    return [PurchasesConfirmed(at=at, deal=deal.id, ref=ref, by=by)]


# -- 2. the forecast --


def record_forecast(
    deal: Deal,
    state: DealState,
    *,
    from_: str,
    quantities: Sequence[Decimal],
    by: str,
    at: At,
) -> list[ForecastRecorded]:
    """The buyer's forecast from ``from_`` (a month not yet over), one quantity a period."""
    v = _terms(deal)
    if v.forecast is None or v.forecast == "none":
        raise RefusedCommand(f"{deal.id}'s volume commitment takes no forecast (volume.forecast)")
    buyer = buyer_of(deal)
    party = person_of(deal, by)
    if party != buyer:
        raise RefusedCommand(f"{by} of {party} cannot forecast {buyer}'s purchases")
    first = _month(from_)
    today = day_of(at)
    if first < today.replace(day=1):
        raise RefusedCommand(f"a forecast looks ahead: {from_} is over ({today:%Y-%m} is not)")
    if year_label_of(deal, from_) is None:
        raise RefusedCommand(f"{from_} is outside the volume commitment's term")
    for q in quantities:
        if q < 0:
            raise RefusedCommand(f"a forecast of {q} {v.unit}: quantities are not negative")
        _whole(q, "a forecast of")
    return [ForecastRecorded(at=at, deal=deal.id, from_=from_, quantities=list(quantities), by=by)]


# -- 3. the true-up --


def _ended(year: ContractYear, at: At) -> None:
    if day_of(at) < year.after:
        raise RefusedCommand(f"contract year {year.label} runs until {year.last}: true it up after")


def _standing(deal: Deal, state: DealState, label: str) -> tuple[ContractYear, VolumeYear]:
    year = contract_year(deal, label)
    return year, state.volume_years.get(label) or VolumeYear()


def credit_rebate(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[CreditNote]:
    """The rebate credit note of contract year ``period``, once, after it has ended (also the
    guard an imported ``credit-note for: rebate`` is held to)."""
    year, standing = _standing(deal, state, period)
    _ended(year, at)
    if standing.rebate_note is not None:
        raise NothingToDo(f"contract year {period}'s rebate is credited ({standing.rebate_note})")
    amount = Money.of(standing.amount, deal.currency)
    rebate = rebate_of(deal, year, standing.quantity, amount)
    if rebate.is_zero:
        raise NothingToDo(
            f"contract year {period}: {standing.quantity:,} {_terms(deal).unit} confirmed reach "
            "no rebate tier"
        )
    if number in state.invoice_numbers:
        raise RefusedCommand(f"number {number} is already used")
    buyer, supplier = _sides(deal)
    note = period_credit_note(
        deal, number=number, from_=supplier, to=buyer, for_="rebate", period=period,
        amount=rebate, at=at,
    )  # fmt: skip
    return [note]


def invoice_shortfall(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[Invoice]:
    """The shortfall invoice of contract year ``period`` under ``shortfall: invoice``, once,
    after it has ended (also the guard an imported ``volume:`` invoice is held to)."""
    v = _terms(deal)
    year, standing = _standing(deal, state, period)
    _ended(year, at)
    if v.shortfall != "invoice":
        raise NothingToDo(f"{deal.id}'s volume commitment invoices no shortfall")
    if standing.shortfall_invoice is not None:
        raise NothingToDo(
            f"contract year {period}'s shortfall is invoiced ({standing.shortfall_invoice})"
        )
    short = shortfall_of(deal, year, standing.quantity)
    if short.is_zero:
        raise NothingToDo(
            f"contract year {period}: {standing.quantity:,} {v.unit} confirmed meet the "
            f"commitment of {_commitment(deal, year):,}"
        )
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    buyer, supplier = _sides(deal)
    line = InvoiceLine(for_=line_for("volume", period, "shortfall"), amount=short.amount)
    return [period_invoice(deal, number=number, from_=supplier, to=buyer, lines=[line], at=at)]


def true_up_volume(
    deal: Deal, state: DealState, *, year: str, numbers: Sequence[str], at: At
) -> list[CreditNote | Invoice]:
    """Contract year ``year``'s true-up: its rebate credit note and its shortfall invoice,
    whichever are due and not yet issued, numbered from ``numbers`` in that order."""
    v = _terms(deal)
    if v.true_up == "none":
        raise RefusedCommand(f"{deal.id}'s volume commitment has no true-up (true-up: none)")
    period, standing = _standing(deal, state, year)
    _ended(period, at)
    free = list(numbers)
    issued: list[CreditNote | Invoice] = []
    reasons = []
    for guard in (credit_rebate, invoice_shortfall):
        try:
            made = guard(deal, state, period=year, number=free[0], at=at)
        except NothingToDo as exc:
            reasons.append(str(exc))
            continue
        issued.extend(made)
        free.pop(0)
    if not issued:
        if standing.closed:
            raise NothingToDo(f"contract year {year} is already trued up")
        raise NothingToDo("; ".join(dict.fromkeys(reasons)))
    return issued


# -- the fold's steps --


def fold_recorded(
    years: Mapping[str, VolumeYear], deal: Deal, e: PurchasesRecorded
) -> dict[str, VolumeYear]:
    """The years after purchases are recorded (the caller stores the purchase)."""
    label = year_label_of(deal, e.period) if deal.volume is not None else None
    if label is None:
        return dict(years)
    year = years.get(label) or VolumeYear()
    pending = replace(
        year, pending_quantity=year.pending_quantity + e.quantity, pending=year.pending + 1
    )
    return {**years, label: pending}


def fold_confirmed(
    years: Mapping[str, VolumeYear], deal: Deal, e: PurchasesRecorded
) -> dict[str, VolumeYear]:
    """The years after recorded purchases ``e`` are confirmed."""
    label = year_label_of(deal, e.period) if deal.volume is not None else None
    if label is None:
        return dict(years)
    year = years.get(label) or VolumeYear()
    counted = replace(
        year,
        quantity=year.quantity + e.quantity,
        amount=year.amount + e.amount,
        pending_quantity=year.pending_quantity - e.quantity,
        pending=year.pending - 1,
    )
    return {**years, label: counted}


def fold_rebate(years: Mapping[str, VolumeYear], e: CreditNote) -> dict[str, VolumeYear]:
    assert e.period is not None
    year = years.get(e.period) or VolumeYear()
    return {**years, e.period: replace(year, rebate_note=e.number, rebate=e.amount)}


def fold_shortfall(
    years: Mapping[str, VolumeYear], period: str, number: str, amount: Decimal
) -> dict[str, VolumeYear]:
    year = years.get(period) or VolumeYear()
    return {**years, period: replace(year, shortfall_invoice=number, shortfall=amount)}


# -- the read side --


@dataclass(frozen=True)
class VolumeYearRow:
    """A contract year as the page shows it: the commitment, the confirmed quantity and
    amount, the tier reached and its rebate, the next tier (units to go, the rebate it would
    bring), what a shortfall would invoice, and the true-up's documents."""

    label: str
    first: date
    last: date
    ended: bool
    running: bool  # today is inside it
    commitment: Decimal
    quantity: Decimal
    amount: Money
    pending_quantity: Decimal
    pending: int
    tier: str | None  # "3%"
    rebate: Money
    next_at_least: Decimal | None
    next_rate: str | None
    to_next: Decimal | None  # units to go to the next tier
    next_rebate: Money | None  # the rebate at exactly the next tier
    to_commitment: Decimal
    shortfall: Money  # what a shortfall invoice would bill (zero without shortfall: invoice)
    rebate_note: str | None
    shortfall_invoice: str | None
    forecast: Decimal | None = None  # confirmed before the forecast + the forecast in it
    meets_commitment: bool | None = None

    @property
    def closed(self) -> bool:
        return self.rebate_note is not None or self.shortfall_invoice is not None

    @property
    def due(self) -> bool:
        """Ended, and a rebate or a shortfall is still to issue."""
        rebate = self.rebate_note is None and not self.rebate.is_zero
        short = self.shortfall_invoice is None and not self.shortfall.is_zero
        return self.ended and (rebate or short)


@dataclass(frozen=True)
class VolumeView:
    """The volume commitment on a day: each contract year, the purchases, the latest
    forecast, and the year running now (the dashboard's card)."""

    unit: str
    price: Decimal | None
    commitment: Decimal
    per: str
    forecast_every: str | None
    shortfall: str
    years: list[VolumeYearRow]
    purchases: list[Purchase] = field(default_factory=list)
    forecast: ForecastRecorded | None = None

    @property
    def current(self) -> VolumeYearRow | None:
        """The year running today, else the last one ended."""
        running = [y for y in self.years if y.running]
        if running:
            return running[0]
        ended = [y for y in self.years if y.ended]
        return ended[-1] if ended else (self.years[0] if self.years else None)

    @property
    def pending(self) -> list[Purchase]:
        return [p for p in self.purchases if p.confirmed_by is None]


def _forecast_in(
    deal: Deal, state: DealState, year: ContractYear, forecast: ForecastRecorded
) -> Decimal | None:
    """The year's confirmed purchases of the months before the forecast begins, plus the
    forecast's periods that begin inside the year; ``None`` when the forecast does not reach
    it."""
    v = _terms(deal)
    every = _FORECAST.get(v.forecast or "", 1)
    start = _month(forecast.from_)
    inside = Decimal(0)
    reached = False
    for i, q in enumerate(forecast.quantities):
        first = _plus(start, i * every)
        if year.first <= first < year.after:
            inside += q
            reached = True
    if not reached:
        return None
    before = Decimal(0)
    for p in state.purchases.values():
        month = _month(p.recorded.period)
        if p.confirmed_by is not None and year.first <= month < min(start, year.after):
            before += p.recorded.quantity
    return before + inside


def volume_view(deal: Deal, state: DealState) -> VolumeView | None:
    """The volume commitment on ``state``'s day (``None`` without a volume section)."""
    v = deal.volume
    if v is None:
        return None
    today = state.on
    zero = Money.zero(deal.currency).quantize()
    forecast = state.volume_forecast
    rows = []
    for year in contract_years(deal, until=today):
        standing = state.volume_years.get(year.label) or VolumeYear()
        amount = Money.of(standing.amount, deal.currency)
        tier = tier_of(deal, year, standing.quantity)
        above = [(t, spec) for t, spec in _tiers(deal, year) if t > standing.quantity]
        next_at, next_tier = above[0] if above else (None, None)
        to_next = next_at - standing.quantity if next_at is not None else None
        next_rebate = None
        if to_next is not None and next_tier is not None and v.price is not None:
            reach = amount + purchase_amount(deal, to_next)
            next_rebate = reach.times(next_tier.rebate.fraction)
        commitment = _commitment(deal, year)
        shortfall = (
            shortfall_of(deal, year, standing.quantity)
            if v.shortfall == "invoice" and v.price is not None
            else zero
        )
        projected = _forecast_in(deal, state, year, forecast) if forecast is not None else None
        rows.append(
            VolumeYearRow(
                label=year.label,
                first=year.first,
                last=year.last,
                ended=today >= year.after,
                running=year.first <= today < year.after,
                commitment=commitment,
                quantity=standing.quantity,
                amount=amount,
                pending_quantity=standing.pending_quantity,
                pending=standing.pending,
                tier=str(tier.rebate) if tier is not None else None,
                rebate=rebate_of(deal, year, standing.quantity, amount),
                next_at_least=next_at,
                next_rate=str(next_tier.rebate) if next_tier is not None else None,
                to_next=to_next,
                next_rebate=next_rebate,
                to_commitment=max(commitment - standing.quantity, Decimal(0)),
                shortfall=shortfall,
                rebate_note=standing.rebate_note,
                shortfall_invoice=standing.shortfall_invoice,
                forecast=projected,
                meets_commitment=None if projected is None else projected >= commitment,
            )
        )
    return VolumeView(
        unit=str(v.unit),
        price=v.price,
        commitment=v.commitment,
        per=v.per,
        forecast_every=v.forecast,
        shortfall=v.shortfall,
        years=rows,
        purchases=list(state.purchases.values()),
        forecast=forecast,
    )
