"""Convertible support: paid now, converted at a window by the deal's formula (issue 15 §3).

The deal's section reads ``convertible: {amount: 100000, converts-to: service-credits,
formula: 1.15 credit per 1.00 paid, windows: [2027-06-30, 2027-12-31]}``. What happens:

1. **Paid.** The buyer pays the support to the supplier as a ``payment`` with ``for:
   convertible`` (at most ``amount`` in all, counting payments still to be confirmed, and
   not once the last window is over: it could no longer convert). It counts once the supplier
   confirms it, like any payment; it settles no invoice.
2. **Requested.** A person of the buyer (the party holding the support) asks to convert part
   of it at a window (:func:`request_conversion`). **A window** is the 30 days up to and
   including its date (:data:`WINDOW_DAYS`): for 2027-06-30, from 2027-06-01 to 2027-06-30. A
   request is made inside its window, for at most the support paid and not yet converted less
   what other requests still wait for.
3. **Approved.** A person of the supplier (the other party: never the one who asked) approves
   it inside the same window (:func:`approve_conversion`); a request nobody approved by its
   window's date lapses and frees its amount. Approval converts it: under ``converts-to:
   service-credits`` into credits = amount × the formula's ratio, rounded half-even to the
   minor unit once per conversion. Equity, a discount or cash are recorded as converted and
   settled outside copact (no credits).
4. **Consumed.** Credits settle the invoices the supplier issues to the buyer afterwards
   (milestone or service invoices alike): each invoice takes first what is left of the
   prepaid advance (for a milestone invoice), then the credits left, then cash held on
   account; the rest is paid in cash (``core.invoicing.Receivables``: the credits count in
   the invoice's ``from_advance``, so ``from_advance + paid + outstanding = total`` holds).
   Credits do not reach back to invoices issued before the conversion.
5. **Unconverted.** Support not converted at a window stays support for the next one. After
   the last window nothing converts any more: what is unconverted is owed back to the buyer
   as unused funds, which the supplier pays back (a ``payment`` from the supplier to the buyer
   ``for: convertible``, up to the unconverted support) or an exit settles.
6. **At an exit** (``core.settlement``) the support counts as paid, and what the supplier
   keeps of it is what converted and was used: the unconverted support is unused, and so are
   the credits not yet consumed, valued at the support they were bought with (credits left ÷
   ratio, half-even): the premium the formula adds pays for business the exit ends. Support
   paid back after the last window no longer counts as paid. The deal's ``prepaid-refund``
   deduction applies to the whole unused sum as to any.

Worked example (100,000.00 paid, 1.15 credit per 1.00 paid, windows 2027-06-30 and
2027-12-31)::

    2027-06-10 the buyer asks to convert 60,000.00 at 2027-06-30, the supplier approves
               → 60,000.00 × 1.15 = 69,000.00 credits; 40,000.00 stays support
    2027-07-15 a 50,000.00 invoice takes 50,000.00 of the credits: 19,000.00 left, 0.00 due
    exit       unused = 40,000.00 unconverted + 19,000.00 ÷ 1.15 = 16,521.74 → 56,521.74
               (earned: 60,000.00 converted − 16,521.74 = 43,478.26 of the support)

A request on 2027-05-31 (before the window opens) or 2027-07-01 (after its date) is refused,
so is a request by the supplier or an approval by the buyer.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from copact.core.conversion import conversion_ratio
from copact.core.deal import Deal
from copact.core.events import ConversionApproved, ConversionRequested, Payment, day_of
from copact.core.invoicing import buyer_of, only_supplier, person_of
from copact.core.mechanisms import Convertible
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.persistent import MapWriter
    from copact.core.state import DealState

__all__ = [
    "MAX_RATIO",
    "WINDOW_DAYS",
    "ConversionState",
    "SupportStanding",
    "SupportTotals",
    "approve_conversion",
    "check_support_payment",
    "credits_for",
    "exit_support",
    "fold_approved",
    "fold_requested",
    "fold_support_payment",
    "formula_ratio",
    "next_window",
    "ratio_of",
    "request_conversion",
    "support_standing",
    "window_of",
    "window_opens",
]

At = date | datetime

WINDOW_DAYS = 30
"""A window is the 30 days up to and including its date."""

MAX_RATIO = Decimal(10)
"""A formula converting 1.00 paid into more than 10.00 of credit is read as a mistake."""

FOR = "convertible"  # a payment's ``for`` that pays (or pays back) the support


# --- the formula ----------------------------------------------------------------------------


def formula_ratio(formula: str) -> Decimal:
    """The credits one unit paid converts into, bounded to (0, :data:`MAX_RATIO`]:
    ``formula_ratio("1.15 credit per 1.00 paid")`` is ``Decimal("1.15")``. ``ValueError``
    with the formula and how to write one when it cannot be read or is out of bounds."""
    ratio = conversion_ratio(formula)
    if ratio <= 0:
        raise ValueError(f"the conversion formula {formula!r} converts into nothing")
    if ratio > MAX_RATIO:
        raise ValueError(
            f"the conversion formula {formula!r} gives {ratio} credit per 1.00 paid, more than "
            f"{MAX_RATIO}: check the figures"
        )
    return ratio


def _terms(deal: Deal) -> Convertible:
    if deal.convertible is None:
        raise RefusedCommand(f"deal {deal.id} has no convertible support")
    return deal.convertible


def _credits(terms: Convertible) -> bool:
    """Whether the support converts into service credits (the default when unsaid)."""
    return terms.converts_to in (None, "service-credits")


def ratio_of(deal: Deal) -> Decimal:
    """The deal's ratio, or :class:`RefusedCommand` saying why there is none."""
    terms = _terms(deal)
    if not terms.formula:
        raise RefusedCommand(
            f"deal {deal.id}'s convertible support has no conversion formula (P608): add "
            "`formula: 1.15 credit per 1.00 paid`"
        )
    try:
        return formula_ratio(terms.formula)
    except ValueError as exc:
        raise RefusedCommand(str(exc)) from None


def credits_for(deal: Deal, amount: Decimal) -> Decimal:
    """The credits ``amount`` of support converts into: amount × ratio, half-even to the minor
    unit (60,000.00 at 1.15 → 69,000.00; 0.05 at 1.15 → 0.06, 0.0575 rounded)."""
    return Money.of(amount, deal.currency).times(ratio_of(deal)).amount


# --- windows --------------------------------------------------------------------------------


def window_opens(window: date) -> date:
    """The first day of ``window``: 2027-06-30 opens on 2027-06-01."""
    return window - timedelta(days=WINDOW_DAYS - 1)


def window_of(deal: Deal, day: date) -> date | None:
    """The window open on ``day`` (the earliest, if two overlap), or ``None``."""
    terms = deal.convertible
    windows = sorted(terms.windows) if terms is not None else []
    return next((w for w in windows if window_opens(w) <= day <= w), None)


def next_window(deal: Deal, day: date) -> date | None:
    """The first window whose date is ``day`` or later (open now or still to come)."""
    terms = deal.convertible
    windows = sorted(terms.windows) if terms is not None else []
    return next((w for w in windows if w >= day), None)


def _windows_over(deal: Deal, day: date) -> bool:
    terms = deal.convertible
    return terms is not None and bool(terms.windows) and max(terms.windows) < day


# --- what the fold keeps --------------------------------------------------------------------

Status = Literal["pending", "approved", "lapsed"]


@dataclass(frozen=True, slots=True)
class ConversionState:
    """A conversion request and, once approved, what it converted into."""

    conversion: str
    window: date
    amount: Decimal
    by: str
    requested_on: date
    approved_by: str | None = None
    approved_on: date | None = None
    credits: Decimal | None = None

    def status(self, on: date) -> Status:
        """Approved; pending until its window's date; lapsed after it, unapproved."""
        if self.approved_by is not None:
            return "approved"
        return "pending" if on <= self.window else "lapsed"


@dataclass(frozen=True, slots=True)
class SupportTotals:
    """The support's running totals (bare decimals in the deal's currency): paid (confirmed
    payments for convertible from the buyer), paid back by the supplier, converted, and the
    credits the conversions issued."""

    paid: Decimal = Decimal(0)
    returned: Decimal = Decimal(0)
    converted: Decimal = Decimal(0)
    credits_issued: Decimal = Decimal(0)


def fold_support_payment(totals: SupportTotals, e: Payment, *, buyer: str | None) -> SupportTotals:
    """A booked payment ``for: convertible``: the buyer's pays the support, the other way
    pays it back."""
    if e.for_ != FOR:
        return totals
    if e.from_ == buyer:
        return replace(totals, paid=totals.paid + e.amount)
    return replace(totals, returned=totals.returned + e.amount)


def fold_requested(conversions: MapWriter[str, ConversionState], e: ConversionRequested) -> None:
    if e.conversion in conversions:  # the guard records a request once
        return
    conversions[e.conversion] = ConversionState(e.conversion, e.window, e.amount, e.by, e.day)


def fold_approved(
    conversions: MapWriter[str, ConversionState], totals: SupportTotals, e: ConversionApproved
) -> SupportTotals:
    """The request converted: its amount and credits join the totals."""
    asked = conversions.get(e.conversion)
    if asked is None or asked.approved_by is not None:  # the guard approves a request once
        return totals
    conversions[e.conversion] = replace(
        asked, approved_by=e.by, approved_on=e.day, credits=e.credits
    )
    return replace(
        totals,
        converted=totals.converted + asked.amount,
        credits_issued=totals.credits_issued + (e.credits or 0),
    )


# --- the guards -----------------------------------------------------------------------------


def _text(amount: Decimal, deal: Deal) -> str:
    return f"{Money.of(amount, deal.currency).quantize().amount:,}"


def _waiting(state: DealState, on: date, *, but: str | None = None) -> Decimal:
    """What requests still waiting for approval on ``on`` hold of the support."""
    return sum(
        (
            c.amount
            for c in state.conversions.values()
            if c.status(on) == "pending" and c.conversion != but
        ),
        Decimal(0),
    )


def _unconverted(state: DealState) -> Decimal:
    t = state.support
    return t.paid - t.returned - t.converted


def _pending_payments(state: DealState, payer: str) -> Decimal:
    return sum(
        (p.amount for p in state.pending_payments.values() if p.for_ == FOR and p.from_ == payer),
        Decimal(0),
    )


def check_support_payment(
    deal: Deal, state: DealState, *, payer: str, payee: str, amount: Decimal, at: At
) -> None:
    """Refuse a payment ``for: convertible`` the support cannot take: the buyer paying more
    than ``amount`` in all (confirmed or waiting) or once the last window is over, the
    supplier paying back before the last window is over or more than is unconverted, any
    other pair of parties."""
    terms = _terms(deal)
    buyer = buyer_of(deal)
    supplier = only_supplier(deal, "the convertible support")
    day = day_of(at)
    ceiling = Money.of(terms.amount, deal.currency).quantize().amount
    if (payer, payee) == (buyer, supplier):
        if _windows_over(deal, day):
            raise RefusedCommand(
                f"the last window of the convertible support was {max(terms.windows)}: support "
                "paid now could not convert"
            )
        so_far = state.support.paid + _pending_payments(state, buyer)
        if so_far + amount > ceiling:
            raise RefusedCommand(
                f"the convertible support is {_text(ceiling, deal)}: {_text(so_far, deal)} is "
                f"paid, so {_text(max(ceiling - so_far, Decimal(0)), deal)} is left to pay and "
                f"a payment of {_text(amount, deal)} is refused"
            )
        return
    if (payer, payee) == (supplier, buyer):
        if not _windows_over(deal, day):
            last = max(terms.windows) if terms.windows else None
            until = f"until its last window, {last}," if last else "while it has no window"
            raise RefusedCommand(
                f"the convertible support may still convert {until} so nothing of it is paid "
                "back yet"
            )
        owed = _unconverted(state) - _pending_payments(state, supplier)
        if amount > owed:
            raise RefusedCommand(
                f"{_text(max(owed, Decimal(0)), deal)} of the convertible support is "
                f"unconverted and not yet paid back; a payment of {_text(amount, deal)} is "
                "refused"
            )
        return
    raise RefusedCommand(
        f"the convertible support is paid by {buyer} to {supplier} (and paid back the other "
        f"way), not by {payer} to {payee}"
    )


def request_conversion(
    deal: Deal,
    state: DealState,
    *,
    conversion: str,
    window: date,
    amount: Decimal,
    by: str,
    at: At,
) -> list[ConversionRequested]:
    """A person of the buyer asks to convert ``amount`` of the support at ``window`` (see the
    module docstring for what is checked)."""
    terms = _terms(deal)
    buyer = buyer_of(deal)
    party = person_of(deal, by)
    if party != buyer:
        raise RefusedCommand(
            f"{by} of {party} cannot ask to convert the support: {buyer} holds it, a person "
            f"of {buyer} asks and {party} approves"
        )
    request = conversion
    earlier = state.conversions.get(request)
    if earlier is not None:
        raise RefusedCommand(
            f"conversion request {request} was made on {earlier.requested_on}: give this one "
            "a name of its own"
        )
    if window not in terms.windows:
        known = ", ".join(str(w) for w in sorted(terms.windows)) or "none"
        raise RefusedCommand(f"{window} is not a window of the convertible support ({known})")
    day = day_of(at)
    if not window_opens(window) <= day <= window:
        raise RefusedCommand(
            f"the window {window} is open from {window_opens(window)} to {window}: a request "
            f"on {day} is outside it"
        )
    if _credits(terms):
        ratio_of(deal)  # a formula nobody can read converts into nothing
    money = Money.of(amount, deal.currency)
    if amount <= 0 or money.quantize() != money:
        raise RefusedCommand(
            f"a conversion of {amount} is refused: it is positive, in whole minor units of "
            f"{deal.currency}"
        )
    free = _unconverted(state) - _waiting(state, day)
    if amount > free:
        raise RefusedCommand(
            f"{_text(max(free, Decimal(0)), deal)} of the support paid is neither converted nor "
            f"asked for ({_text(state.support.paid, deal)} paid, "
            f"{_text(state.support.converted, deal)} converted): a conversion of "
            f"{_text(amount, deal)} is refused"
        )
    return [
        ConversionRequested(
            at=at, deal=deal.id, conversion=request, window=window, amount=amount, by=by
        )
    ]


def approve_conversion(
    deal: Deal,
    state: DealState,
    *,
    conversion: str,
    by: str,
    at: At,
    credits: Decimal | None = None,
) -> list[ConversionApproved]:
    """A person of the supplier approves request ``conversion`` inside its window: the support
    converts (into credits by the formula under service credits). ``credits``, when given (an
    imported event, or a client that checks the figure), must be what the formula gives."""
    terms = _terms(deal)
    request = conversion
    asked = state.conversions.get(request)
    if asked is None:
        raise RefusedCommand(f"no conversion request {request} was made")
    if asked.approved_by is not None:
        raise NothingToDo(
            f"conversion request {request} was approved by {asked.approved_by} on "
            f"{asked.approved_on}"
        )
    supplier = only_supplier(deal, "the convertible support")
    party = person_of(deal, by)
    if party != supplier:
        raise RefusedCommand(
            f"{by} of {party} cannot approve conversion request {request}: {asked.by} asked "
            f"for it, a person of {supplier} approves it"
        )
    day = day_of(at)
    if not window_opens(asked.window) <= day <= asked.window:
        raise RefusedCommand(
            f"conversion request {request} is for the window {asked.window} (open from "
            f"{window_opens(asked.window)}): on {day} it can no longer be approved"
        )
    free = _unconverted(state) - _waiting(state, day, but=request)
    if asked.amount > free:  # a refund or an import may have moved the support since
        raise RefusedCommand(
            f"conversion request {request} asks for {_text(asked.amount, deal)}; "
            f"{_text(max(free, Decimal(0)), deal)} of the support is free to convert"
        )
    made = credits_for(deal, asked.amount) if _credits(terms) else None
    if credits is not None and credits != made:
        said = "no credits" if made is None else f"{_text(made, deal)} credits"
        raise RefusedCommand(
            f"conversion request {request} converts {_text(asked.amount, deal)} into {said} by "
            f"the deal's formula, not {_text(credits, deal)}"
        )
    return [ConversionApproved(at=at, deal=deal.id, conversion=request, credits=made, by=by)]


# --- where the support stands ---------------------------------------------------------------


@dataclass(frozen=True)
class SupportStanding:
    """The convertible support on a day, in money (a page's card, the API's JSON).

    ``paid − returned = converted + unconverted``; ``credits_issued = consumed + left``;
    ``unused`` is what an exit would count as unused of it: unconverted + ``left_value`` (the
    credits left at the support they were bought with)."""

    amount: Money
    converts_to: str
    formula: str | None
    ratio: Decimal | None
    paid: Money
    returned: Money
    converted: Money
    unconverted: Money
    waiting: Money
    credits_issued: Money
    credits_consumed: Money
    credits_left: Money
    left_value: Money
    window: date | None  # open on the day
    next_window: date | None
    windows: tuple[date, ...]
    windows_over: bool
    conversions: tuple[ConversionState, ...]

    @property
    def to_pay(self) -> Money:
        """What the buyer may still pay of the support."""
        return max(self.amount - self.paid, Money.zero(self.amount.currency).quantize())

    @property
    def unused(self) -> Money:
        return self.unconverted + self.left_value

    @property
    def refundable(self) -> Money:
        """Owed back now: the unconverted support once the last window is over."""
        return self.unconverted if self.windows_over else self.zero

    @property
    def zero(self) -> Money:
        return Money.zero(self.amount.currency).quantize()


def _ratio_or_none(deal: Deal) -> Decimal | None:
    try:
        return ratio_of(deal)
    except RefusedCommand:
        return None


def _left_value(deal: Deal, left: Decimal) -> Money:
    """Credits left at the support they were bought with: left ÷ ratio, half-even."""
    ratio = _ratio_or_none(deal)
    money = Money.of(left, deal.currency)
    if ratio is None or not left:
        return money.quantize()
    return Money.of(left / ratio, deal.currency).quantize()


def support_standing(deal: Deal, state: DealState) -> SupportStanding | None:
    """Where the support stands at the end of ``state.on``; ``None`` when the deal has none."""
    terms = deal.convertible
    if terms is None:
        return None
    cur = deal.currency
    t = state.support
    left = state.book.credits_left
    left_amount = left.amount if left is not None else Decimal(0)
    day = state.on

    def m(x: Decimal) -> Money:
        return Money.of(x, cur).quantize()

    return SupportStanding(
        amount=m(terms.amount),
        converts_to=terms.converts_to or "service-credits",
        formula=terms.formula,
        ratio=_ratio_or_none(deal),
        paid=m(t.paid),
        returned=m(t.returned),
        converted=m(t.converted),
        unconverted=m(t.paid - t.returned - t.converted),
        waiting=m(_waiting(state, day)),
        credits_issued=m(t.credits_issued),
        credits_consumed=m(t.credits_issued - left_amount),
        credits_left=m(left_amount),
        left_value=_left_value(deal, left_amount),
        window=window_of(deal, day),
        next_window=next_window(deal, day),
        windows=tuple(sorted(terms.windows)),
        windows_over=_windows_over(deal, day),
        conversions=tuple(state.conversions.values()),
    )


def exit_support(deal: Deal, state: DealState) -> tuple[Money, Money]:
    """For an exit settlement folded to the day it takes effect: ``(paid back, earned
    adjustment)``. The support paid back by the supplier is no longer paid; the invoices
    count the credits they consumed as earned, and of the support the supplier keeps what
    converted less the credits left at their support value: so the adjustment is converted −
    left value − consumed. 60,000.00 converted, 50,000.00 consumed, 19,000.00 left at 1.15:
    60,000.00 − 16,521.74 − 50,000.00 = −6,521.74 (the invoice's 50,000.00 earns 43,478.26)."""
    zero = Money.zero(deal.currency).quantize()
    standing = support_standing(deal, state)
    if standing is None:
        return zero, zero
    adjust = standing.converted - standing.left_value - standing.credits_consumed
    return standing.returned, adjust
