"""Milestone invoicing: what a milestone is worth, what the buyer pays, what the advance covers.

DESIGN §8, worked on ``examples/hybrid-dc1.yaml`` (value 420000 USD; the design phase is funded
100% by the supplier, the build phase 70% by the buyer, the operate phase has no funding entry)::

    milestone          payment   milestone amount   buyer's share      invoice
    design-approval      20%           84000.00       0%                  0.00
    hardware-delivery    30%          126000.00      70%              88200.00
    installation         30%          126000.00      70%              88200.00
    commissioning        10%           42000.00      70%              29400.00
    stable-90-days       10%           42000.00     100% (no entry)   42000.00

Add ``prepaid: {amount: 50000}`` and the advance settles the invoices in due-date order:
design-approval takes 0.00 of it, hardware-delivery 50000.00 of its 88200.00 (38200.00 in cash),
and every later invoice is paid in cash.

Choices where the design is silent (the linter reports the deal, these functions still answer):

- Percentages that do not add up to 100% (M201): ``value × their sum`` is rounded half-even to the
  minor unit and split by largest remainder in proportion to the percentages, so each milestone is
  within a minor unit of its own share and the percentage milestones add up exactly to that rounded
  total (to ``value`` itself when the sum is 100%).
- A negative percentage cannot be a weight of a split: each milestone is then rounded on its own.
- ``amount:`` milestones keep their amount (rounded half-even to the minor unit); a milestone with
  neither ``payment`` nor ``amount``, or a percentage when the deal has no ``value``, is worth 0.
- The invoice goes to the first buyer party and uses that party's funding share.
- The advance settles only invoices payable to the party it was paid to, in due-date order (ties
  and undated milestones in file order, undated ones last), whatever the advance's own date.
- A party that cannot be named (no buyer; no ``payee`` and not exactly one supplier) refuses the
  command with :class:`RefusedCommand` rather than sending money to a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from copact.core.deal import Deal, Milestone
from copact.core.money import Money, allocate
from copact.core.quantities import Percent
from copact.errors import MoneyError, RefusedCommand

__all__ = [
    "Drawdown",
    "advance_amount",
    "advance_payee",
    "buyer_of",
    "buyer_share",
    "invoice_amount",
    "invoice_amounts",
    "milestone_amounts",
    "payee_of",
    "prepaid_drawdown",
    "settlement_order",
    "unused_advance",
]

_WHOLE = Percent(Decimal(1))


# --- who pays whom --------------------------------------------------------------------------


def buyer_of(deal: Deal) -> str:
    """The id of the party invoiced for milestones: the first buyer of the deal."""
    buyers = deal.buyers
    if not buyers:
        raise RefusedCommand(f"deal {deal.id!r} names no buyer party, so nobody can be invoiced")
    return buyers[0].id


def _only_supplier(deal: Deal, what: str) -> str:
    suppliers = deal.suppliers
    if len(suppliers) != 1:
        raise RefusedCommand(
            f"{what} names no payee and deal {deal.id!r} has {len(suppliers)} suppliers: "
            "say which party is paid"
        )
    return suppliers[0].id


def payee_of(deal: Deal, milestone: Milestone) -> str:
    """The party a milestone is paid to: its ``payee``, or else the deal's only supplier."""
    if milestone.payee is not None:
        return milestone.payee
    return _only_supplier(deal, f"milestone {milestone.id!r}")


def advance_payee(deal: Deal) -> str:
    """The party the prepaid advance is paid to: the deal's only supplier."""
    return _only_supplier(deal, "the prepaid advance")


# --- amounts --------------------------------------------------------------------------------


def _split(value: Money, fractions: list[Decimal]) -> list[Money]:
    if any(f < 0 for f in fractions):
        return [value.times(f) for f in fractions]
    total = sum(fractions, Decimal(0))
    if total == 0:
        return [Money.zero(value.currency).quantize() for _ in fractions]
    return allocate(value.times(total), fractions)


def milestone_amounts(deal: Deal) -> dict[str, Money]:
    """Each milestone's amount, in file order: ``payment × value`` split by largest remainder.

    Percentages that add up to 100% give amounts that add up to ``value`` exactly. A value of
    0.05 split 50% / 50% is 0.03 + 0.02 (the tie goes to the earlier milestone; rounding each
    share half-even would give 0.02 + 0.02 and lose a cent), and 1000.01 split 20% / 30% / 50%
    is 200.00 + 300.00 + 500.01 (the cent goes to the largest remainder).
    """
    currency = deal.money_currency
    amounts = {m.id: Money.zero(currency).quantize() for m in deal.milestones}
    for m in deal.milestones:
        if m.amount is not None:
            amounts[m.id] = Money.of(m.amount, currency).quantize()
    by_percent = [(m.id, m.payment) for m in deal.milestones if m.payment is not None]
    if by_percent and deal.value is not None:
        value = Money.of(deal.value, currency).quantize()
        parts = _split(value, [p.fraction for _, p in by_percent])
        for (milestone_id, _), part in zip(by_percent, parts, strict=True):
            amounts[milestone_id] = part
    return amounts


def buyer_share(deal: Deal, milestone: Milestone) -> Percent:
    """The buyer's funding share of the milestone's phase; 100% when no funding entry says."""
    share = deal.funding_share(milestone.phase, buyer_of(deal))
    return _WHOLE if share is None else share


def invoice_amounts(deal: Deal) -> dict[str, Money]:
    """What the buyer is invoiced per milestone: its amount × the buyer's share, half-even.

    The supplier absorbs the rest: hardware-delivery's 126000.00 in a phase funded 70% by the
    buyer is invoiced 88200.00.
    """
    amounts = milestone_amounts(deal)
    return {m.id: amounts[m.id].times(buyer_share(deal, m).fraction) for m in deal.milestones}


def invoice_amount(deal: Deal, milestone_id: str) -> Money:
    """What the buyer is invoiced for one milestone (see :func:`invoice_amounts`)."""
    amounts = invoice_amounts(deal)
    if milestone_id not in amounts:
        raise KeyError(f"deal {deal.id!r} has no milestone {milestone_id!r}")
    return amounts[milestone_id]


# --- the prepaid advance --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drawdown:
    """How one milestone invoice is settled: first from the prepaid advance, the rest in cash.

    ``Drawdown("hardware-delivery", invoice=88200.00, from_advance=50000.00, cash=38200.00)``;
    the constructor refuses parts that do not add up to the invoice.
    """

    milestone: str
    invoice: Money
    from_advance: Money
    cash: Money

    def __post_init__(self) -> None:
        if self.from_advance + self.cash != self.invoice:
            raise MoneyError(
                f"{self.milestone}: {self.from_advance} from the advance and {self.cash} in cash "
                f"do not make the invoice of {self.invoice}"
            )


def advance_amount(deal: Deal) -> Money:
    """The prepaid advance (half-even to the minor unit), zero when the deal has none."""
    if deal.prepaid is None:
        return Money.zero(deal.money_currency).quantize()
    return Money.of(deal.prepaid.amount, deal.money_currency).quantize()


def settlement_order(deal: Deal) -> list[Milestone]:
    """Milestones by due date, ties in file order, undated milestones last."""
    return sorted(deal.milestones, key=lambda m: (m.due is None, m.due or date.min))


def prepaid_drawdown(deal: Deal) -> dict[str, Drawdown]:
    """Per milestone, in settlement order, how much of its invoice the advance covers.

    Each invoice takes what is left of the advance, up to its own amount; the rest is cash.
    Without a ``prepaid`` section every invoice is paid in cash.
    """
    invoices = invoice_amounts(deal)
    zero = Money.zero(deal.money_currency).quantize()
    left = advance_amount(deal)
    payee = advance_payee(deal) if deal.prepaid is not None else None
    drawdowns: dict[str, Drawdown] = {}
    for m in settlement_order(deal):
        invoice = invoices[m.id]
        covered = zero
        if payee is not None and left > zero and invoice > zero and payee_of(deal, m) == payee:
            covered = min(left, invoice)
            left -= covered
        drawdowns[m.id] = Drawdown(
            m.id, invoice=invoice, from_advance=covered, cash=invoice - covered
        )
    return drawdowns


def unused_advance(deal: Deal) -> Money:
    """What is left of the advance once every planned milestone invoice has drawn on it."""
    used = sum(
        (d.from_advance for d in prepaid_drawdown(deal).values()),
        Money.zero(deal.money_currency).quantize(),
    )
    return advance_amount(deal) - used
