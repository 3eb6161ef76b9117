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

Those are the planned figures (the schedule, the cash flows). What the journal says happened is
:class:`Receivables`, kept by the state fold, one :class:`InvoiceStanding` per issued invoice::

    payment 50000.00 for prepaid            advance paid 50000.00
    invoice PC-1 design 40000.00            from advance 40000.00, outstanding 0.00: paid
    invoice PC-2 install 60000.00           from advance 10000.00, outstanding 50000.00: part-paid
    payment 50000.00 for PC-2 (or install)  paid 50000.00, outstanding 0.00: paid

- The advance counts as far as it was **paid**: a ``payment`` with ``for: prepaid`` from the
  buyer to the advance's payee. A planned advance nobody paid settles nothing. It is not stored
  on the invoice event (whose format is unchanged): the fold derives it, so old journals read
  the same. Each invoice to the buyer from the advance's payee takes what is left of it when it
  is issued; an advance paid later settles the open invoices, oldest due date first.
- A payment's ``for`` names an invoice number, a milestone id (its invoice) or ``prepaid``.
  :func:`check_payment_target` refuses a name that is none of these, a milestone not yet
  invoiced, the wrong direction, and more than is outstanding (or than is left of the advance).
- A payment without ``for`` settles the payer's open invoices from the payee, oldest due date
  first (ties in the order issued); what is left is held on account and settles the next
  invoices as they are issued, after the advance. A payment the other way (a refund) first
  returns what is on account, then what is left of the advance.
- A credit note (type 381: an exit's refund, a volume rebate, a gainshare true-up below what
  was billed, a corrected revenue report) is a document the other way: its issuer owes its
  addressee the total, and pays it out like any payment, recorded by the issuer and confirmed
  by the addressee. Its :class:`InvoiceStanding` is kept beside the invoices' (``from_`` the
  issuer, ``to`` the addressee, nothing from the advance), so open, part-paid, paid and overdue
  mean for it what they mean for an invoice. A payment's ``for`` names it by its number, or by
  its kind (``exit``, ``rebate``, ``true-up``, ``revenue-share``: the open notes of that kind
  from the payer to the payee, oldest due date first). What is paid for a kind before any note
  of it is open (an exit's refund paid before its credit note) is held for the next one::

      credit note HSH-001 rebate 6411.60             open, outstanding 6411.60
      payment kestrel → ridgeline 4000.00 for HSH-001  part-paid, outstanding 2411.60
      payment kestrel → ridgeline 2411.60 for HSH-001  paid

  The refund an exit settlement owes returns what is left of the advance too (see below), so a
  payment ``for: exit`` also does what a refund without ``for`` does. A credit note takes no
  payment without ``for``: that keeps its meaning, money back on account and of the advance.
- Overdue has one meaning: something is outstanding and the due date is before the day asked.
- Amounts are added and subtracted exactly; payments finer than the currency's minor unit are
  refused, so nothing is lost to rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Literal

from copact.core.deal import Deal, Milestone
from copact.core.events import CreditNote, Invoice, InvoiceLine, Payment, day_of
from copact.core.money import Currency, Money, allocate
from copact.core.quantities import Percent
from copact.errors import MoneyError, RefusedCommand

__all__ = [
    "CREDIT_KINDS",
    "MECHANISMS",
    "Drawdown",
    "InvoiceStanding",
    "InvoiceStatus",
    "MechanismLine",
    "Receivables",
    "advance_amount",
    "advance_payee",
    "advance_split",
    "buyer_of",
    "buyer_share",
    "check_payment_target",
    "gross_split",
    "invoice_amount",
    "invoice_amounts",
    "line_for",
    "mechanism_line",
    "milestone_amounts",
    "only_supplier",
    "payee_of",
    "period_credit_note",
    "period_invoice",
    "person_of",
    "prepaid_drawdown",
    "settlement_order",
    "unused_advance",
    "vat_on",
]

_WHOLE = Percent(Decimal(1))


# --- what an invoice line is for ------------------------------------------------------------

MECHANISMS: dict[str, str] = {
    "sla": "SLA service {period}, site {part}: fee less credits plus bonuses",
    "bonus": "Innovation bonus {period}",
    "revenue": "Revenue share {period} {part}",
    "gainshare": "Gainshare {period}: {part}",  # base fee, share of savings, true-up
    "cost": "Reimbursed cost {period}: {part}",  # cost-plus: a cost's id, or the markup
    "volume": "Volume commitment, contract year {period}: {part}",  # the year's shortfall
}
"""The mechanisms whose invoices bill a period rather than a milestone, each with how its line
reads on the invoice. A line ``for`` such a period is ``MECHANISM:PERIOD`` or
``MECHANISM:PERIOD:PART`` (``sla:2027-03:dc1``); a milestone id never holds a colon. These
invoices are never drawn from the prepaid advance (it funds the milestones), and an exit
settlement counts them as earned."""


@dataclass(frozen=True, slots=True)
class MechanismLine:
    mechanism: str
    period: str
    part: str | None = None

    @property
    def text(self) -> str:
        return f"{self.mechanism}:{self.period}" + (f":{self.part}" if self.part else "")

    @property
    def name(self) -> str:
        """How the line reads on the invoice."""
        template = MECHANISMS[self.mechanism]
        return template.format(period=self.period, part=self.part or "").strip()


def period_invoice(
    deal: Deal,
    *,
    number: str,
    from_: str,
    to: str,
    lines: list[InvoiceLine],
    at: date | datetime,
) -> Invoice:
    """A mechanism's invoice of ``lines``: VAT on their sum by the deal's tax rule, due after
    the deal's payment terms from the day it is issued (what every period's invoice is)."""
    net = Money.zero(deal.currency)
    for line in lines:
        net = net + Money.of(line.amount, deal.currency)
    tax = vat_on(deal, net)
    return Invoice(
        at=at,
        deal=deal.id,
        number=number,
        from_=from_,
        to=to,
        lines=lines,
        due=day_of(at) + timedelta(days=deal.payment_terms),
        tax=tax.amount if tax.amount else None,
    )


def period_credit_note(
    deal: Deal,
    *,
    number: str,
    from_: str,
    to: str,
    for_: str,
    period: str,
    amount: Money,
    at: date | datetime,
    preceding: str | None = None,
) -> CreditNote:
    """A mechanism's credit note of ``amount`` (net) for ``period``: VAT on it by the deal's
    tax rule, as on the lines it gives back, due after the payment terms from its day; it
    corrects invoice ``preceding`` when there is one."""
    tax = vat_on(deal, amount)
    return CreditNote(
        at=at,
        deal=deal.id,
        number=number,
        from_=from_,
        to=to,
        for_=for_,
        period=period,
        amount=amount.amount,
        tax=tax.amount if tax.amount else None,
        preceding=preceding,
        due=day_of(at) + timedelta(days=deal.payment_terms),
    )


def line_for(mechanism: str, period: str, part: str | None = None) -> str:
    """The ``for`` of a mechanism's invoice line: ``line_for("sla", "2027-03", "dc1")``."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}")
    return MechanismLine(mechanism, period, part).text


def mechanism_line(text: str) -> MechanismLine | None:
    """What a line ``for`` a mechanism's period says, or ``None`` (a milestone)."""
    mechanism, colon, rest = text.partition(":")
    if not colon or mechanism not in MECHANISMS:
        return None
    period, _, part = rest.partition(":")
    return MechanismLine(mechanism, period, part or None)


# --- who pays whom --------------------------------------------------------------------------


def buyer_of(deal: Deal) -> str:
    """The id of the party invoiced for milestones: the first buyer of the deal."""
    buyers = deal.buyers
    if not buyers:
        raise RefusedCommand(f"deal {deal.id!r} names no buyer party, so nobody can be invoiced")
    return buyers[0].id


def person_of(deal: Deal, person: str) -> str:
    """The party of ``person``, or :class:`RefusedCommand` when the deal has no such person."""
    found = deal.person(person)
    if found is not None:
        return found.party
    raise RefusedCommand(f"{person!r} is not a person of {deal.id}")


def only_supplier(deal: Deal, what: str) -> str:
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
    return only_supplier(deal, f"milestone {milestone.id!r}")


def advance_payee(deal: Deal) -> str:
    """The party the prepaid advance is paid to: the deal's only supplier."""
    return only_supplier(deal, "the prepaid advance")


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


def vat_on(deal: Deal, net: Money) -> Money:
    """The VAT an invoice of ``net`` charges under the deal's tax rule: ``net × rate / 100``
    rounded half-even to the minor unit, once per invoice (its lines share the deal's one VAT
    category, EN 16931 BR-CO-17); nothing unless the rule is ``standard``. The journal's
    invoice carries it (``tax``), so the buyer's payments, the advance and the exit settlement
    count what the buyer is billed, VAT included."""
    rule = deal.tax
    if rule is None or rule.category != "standard" or rule.rate.points == 0:
        return Money.zero(net.currency)
    return Money.of(net.amount * rule.rate.points / 100, net.currency).quantize()


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


def advance_split(deal: Deal) -> tuple[Money, Money]:
    """The advance as its prepayment invoice bills it: ``(net, VAT)`` adding up to the advance
    exactly (:func:`gross_split`). The advance is what the buyer pays (the ``payment for:
    prepaid`` that settles milestone invoices' gross totals), so the VAT is inside it.

    At 21%: an advance of 30,000.00 is 24,793.39 net and 5,206.61 VAT."""
    return gross_split(deal, advance_amount(deal))


def gross_split(deal: Deal, gross: Money) -> tuple[Money, Money]:
    """``gross`` (an amount paid VAT included: the advance, a refund of it) as ``(net, VAT)``
    adding up to it exactly, the VAT being the deal's rule on that net (:func:`vat_on`):
    ``net = gross × 100 / (100 + rate)``, half-even to the minor unit, then the nearest net
    whose VAT makes the sum exact. Where no net does (a rate's VAT steps over a minor unit now
    and then) the VAT is the rest, one minor unit from the rule's, which EN 16931's rounding
    tolerance admits. Without VAT the net is the whole."""
    gross = gross.quantize()
    rule = deal.tax
    if rule is None or rule.category != "standard" or rule.rate.points == 0:
        return gross, Money.zero(gross.currency).quantize()
    points = rule.rate.points
    guess = Money.of(gross.amount * 100 / (100 + points), gross.currency).quantize()
    unit = gross.currency.minor_unit
    for step in (0, -1, 1, -2, 2):
        net = guess + Money.of(unit * step, gross.currency)
        if net + vat_on(deal, net) == gross:
            return net, gross - net
    return guess, gross - guess


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


# --- what the journal says: invoices issued, what settled them ------------------------------

InvoiceStatus = Literal["open", "part-paid", "paid"]


@dataclass(frozen=True, slots=True)
class InvoiceStanding:
    """Where one issued invoice stands: its total, what the advance settled, what was paid.

    ``outstanding`` is the rest; the constructor refuses parts that exceed the total, so
    ``from_advance + paid + outstanding == total`` always, with ``outstanding`` never negative.
    """

    number: str
    milestones: tuple[str, ...]
    from_: str
    to: str
    issued: date
    due: date
    total: Money
    from_advance: Money
    paid: Money

    owed: bool = field(init=False, repr=False, compare=False)
    """Whether something is outstanding, worked out once: every payment on account asks it
    of every invoice between its two parties."""

    def __post_init__(self) -> None:
        zero = Money.zero(self.total.currency)
        outstanding = self.outstanding
        object.__setattr__(self, "owed", outstanding.amount != 0)
        if self.from_advance < zero or self.paid < zero or outstanding < zero:
            raise MoneyError(
                f"invoice {self.number}: {self.from_advance} from the advance and {self.paid} "
                f"paid do not fit its total of {self.total}"
            )

    def _but(
        self, *, from_advance: Money | None = None, paid: Money | None = None
    ) -> InvoiceStanding:
        """This invoice with more settled: :func:`dataclasses.replace` without its cost per
        field (the fold settles an invoice on every payment for it); the constructor still
        checks the parts."""
        return InvoiceStanding(
            self.number,
            self.milestones,
            self.from_,
            self.to,
            self.issued,
            self.due,
            self.total,
            self.from_advance if from_advance is None else from_advance,
            self.paid if paid is None else paid,
        )

    @property
    def outstanding(self) -> Money:
        return self.total - self.from_advance - self.paid

    @property
    def service(self) -> bool:
        """A mechanism's period invoice (every line ``for`` one, :data:`MECHANISMS`): a managed
        service's fee, never drawn from the advance."""
        return bool(self.milestones) and all(mechanism_line(m) for m in self.milestones)

    @property
    def cash_due(self) -> Money:
        """What the invoice asks for in cash: its total less what the advance settled."""
        return self.total - self.from_advance

    @property
    def status(self) -> InvoiceStatus:
        if self.outstanding.is_zero:
            return "paid"
        return "open" if (self.from_advance + self.paid).is_zero else "part-paid"

    def overdue(self, on: date) -> bool:
        """Something is outstanding and the due date is before ``on``."""
        return not self.outstanding.is_zero and self.due < on


Pair = tuple[str, str]  # (payer, payee)

CREDIT_KINDS: tuple[str, ...] = ("exit", "rebate", "true-up", "revenue-share")
"""What a credit note is for (``CreditNote.for_``); a payment ``for`` one of them pays the open
notes of that kind from its payer to its payee, oldest due date first."""


@cache
def _zero_in(currency: Currency) -> Money:
    """Zero to the minor unit (asked on every payment: made once per currency)."""
    return Money.zero(currency).quantize()


def _quiet(name: Callable[[], str]) -> str | None:
    try:
        return name()
    except RefusedCommand:
        return None


@dataclass(frozen=True)
class Receivables:
    """Every invoice of a deal with what settled it, the advance, and cash held on account.

    Built by the state fold one event at a time (:meth:`with_invoice`, :meth:`with_payment`);
    the rules are in the module docstring.
    """

    currency: Currency
    buyer: str | None
    advance_payee: str | None
    advance_paid: Money
    advance_drawn: Money
    advance_returned: Money
    invoices: tuple[InvoiceStanding, ...] = ()
    on_account: Mapping[Pair, Money] = field(default_factory=dict)
    credit_notes: tuple[InvoiceStanding, ...] = ()
    """Each credit note with what its issuer paid out of it (``milestones`` is its kind)."""
    credit_ahead: Mapping[tuple[Pair, str], Money] = field(default_factory=dict)
    """Paid for a kind of credit note while none of it was open: the next one takes it."""
    # -- convertible support (core.convertible): service credits the buyer holds --
    credits_left: Money | None = None
    """Service credits issued by conversions and not yet consumed; an invoice to the buyer
    from the advance's payee takes them after the advance and counts them in ``from_advance``
    (paid ahead: the support they were converted from)."""

    @classmethod
    def open(cls, deal: Deal) -> Receivables:
        """Nothing invoiced or paid yet."""
        zero = Money.zero(deal.money_currency).quantize()
        return cls(
            deal.money_currency,
            _quiet(lambda: buyer_of(deal)),
            _quiet(lambda: advance_payee(deal)),
            advance_paid=zero,
            advance_drawn=zero,
            advance_returned=zero,
        )

    def _zero(self) -> Money:
        return _zero_in(self.currency)

    def _but(self, **changes: object) -> Receivables:
        """This book with ``changes``: :func:`dataclasses.replace` without its cost per field,
        which the fold would pay on every payment of the journal."""
        book: Receivables = object.__new__(Receivables)
        book.__dict__.update(self.__dict__)
        book.__dict__.update(changes)
        return book

    @property
    def advance_left(self) -> Money:
        """What was paid of the advance and is neither drawn by invoices nor returned."""
        return self.advance_paid - self.advance_drawn - self.advance_returned

    def find(self, target: str) -> InvoiceStanding | None:
        """The invoice a payment's ``for`` names: by its number, else by its milestone."""
        by_number = next((i for i in self.invoices if i.number == target), None)
        if by_number is not None:
            return by_number
        return next((i for i in self.invoices if target in i.milestones), None)

    def find_credit(self, target: str) -> InvoiceStanding | None:
        """The credit note a payment's ``for`` names by its number."""
        return next((n for n in self.credit_notes if n.number == target), None)

    def open_credits(self, pair: Pair, kind: str) -> list[InvoiceStanding]:
        """The open credit notes of ``kind`` that ``pair``'s payer issued to its payee, oldest
        due date first (ties in the order issued)."""
        payer, payee = pair
        owed = [
            (n.due, k, n)
            for k, n in enumerate(self.credit_notes)
            if n.milestones == (kind,)
            and (n.from_, n.to) == (payer, payee)
            and not n.outstanding.is_zero
        ]
        return [n for _, _, n in sorted(owed, key=lambda t: (t[0], t[1]))]

    def credit_outstanding(self, *, issuer: str, to: str, but: tuple[str, ...] = ()) -> Money:
        """What ``issuer``'s credit notes to ``to`` still owe, those of the kinds ``but`` left
        out: the exit settlement counts what a rebate, true-up or corrected report gives back
        and was not yet paid out."""
        return sum(
            (
                n.outstanding
                for n in self.credit_notes
                if (n.from_, n.to) == (issuer, to) and n.milestones[0] not in but
            ),
            self._zero(),
        )

    def _advance_pair(self) -> Pair | None:
        if self.buyer is None or self.advance_payee is None:
            return None
        return (self.buyer, self.advance_payee)

    def _set(self, standing: InvoiceStanding) -> Receivables:
        kept = tuple(standing if i.number == standing.number else i for i in self.invoices)
        return self._but(invoices=kept)

    def oldest_open(self, pair: Pair) -> list[InvoiceStanding]:
        """The open invoices ``pair``'s payer owes its payee, oldest due date first."""
        payer, payee = pair
        owed = [
            (i.due, n, i)
            for n, i in enumerate(self.invoices)
            if i.owed and i.to == payer and i.from_ == payee
        ]
        owed.sort()  # by due date, then as issued: ``n`` is unique, so no invoice is compared
        return [i for _, _, i in owed]

    def _draw_advance(self) -> Receivables:
        pair = self._advance_pair()
        book = self
        if pair is None:
            return book
        for invoice in self.oldest_open(pair):
            if invoice.service:
                continue  # the advance funds the milestones, not a managed service's fees
            take = min(book.advance_left, invoice.outstanding)
            if take.is_zero:
                break
            book = book._set(invoice._but(from_advance=invoice.from_advance + take))._but(
                advance_drawn=book.advance_drawn + take
            )
        return book

    def with_invoice(self, invoice: Invoice) -> Receivables:
        """An invoice is issued: it takes what is left of the advance, then cash on account."""
        zero = self._zero()
        total = Money.of(invoice.total, self.currency)
        standing = InvoiceStanding(
            invoice.number,
            tuple(line.for_ for line in invoice.lines),
            invoice.from_,
            invoice.to,
            invoice.day,
            invoice.due,
            total,
            zero,
            zero,
        )
        book = self._but(invoices=(*self.invoices, standing))
        if (invoice.to, invoice.from_) == book._advance_pair():
            book = book._draw_advance()
            standing = book.invoices[-1]
            book, standing = book._draw_credits(standing)  # convertible support
        pair = (invoice.to, invoice.from_)
        credit = book.on_account.get(pair, zero)
        take = min(credit, standing.outstanding)
        if take > zero:
            book = book._set(standing._but(paid=standing.paid + take))._but(
                on_account={**book.on_account, pair: credit - take}
            )
        return book

    def with_credit_note(self, note: CreditNote) -> Receivables:
        """A credit note is issued: its issuer owes its addressee the total; it takes what was
        paid ahead for its kind."""
        total = Money.of(note.total, self.currency)
        standing = InvoiceStanding(
            note.number,
            (note.for_,),
            note.from_,
            note.to,
            note.day,
            note.due,
            total,
            self._zero(),
            self._zero(),
        )
        key = ((note.from_, note.to), note.for_)
        ahead = self.credit_ahead.get(key)
        book = self._but(credit_notes=(*self.credit_notes, standing))
        if ahead is not None and ahead.amount > 0:
            take = min(ahead, total)
            book = book._set_credit(standing._but(paid=take))._but(
                credit_ahead={**book.credit_ahead, key: ahead - take}
            )
        return book

    def _set_credit(self, standing: InvoiceStanding) -> Receivables:
        kept = tuple(standing if n.number == standing.number else n for n in self.credit_notes)
        return self._but(credit_notes=kept)

    def _pay_credit(self, payment: Payment, amount: Money) -> tuple[Receivables, Money, str] | None:
        """A payment ``for`` a credit note (its number) or a kind of them: the book with it
        paid out, what is left of ``amount`` and the kind paid, or ``None`` when it names no
        credit note."""
        target, pair = payment.for_, (payment.from_, payment.to)
        named = self.find_credit(target) if target else None
        if named is not None:
            kind = named.milestones[0]
            if (named.from_, named.to) != pair:
                return self, amount, kind  # the other way round: the guard refuses it
            take = min(amount, named.outstanding)
            return self._set_credit(named._but(paid=named.paid + take)), amount - take, kind
        if not target or target not in CREDIT_KINDS:
            return None
        book = self
        for note in self.open_credits(pair, target):
            if amount.amount <= 0:
                break
            take = min(amount, note.outstanding)
            book = book._set_credit(note._but(paid=note.paid + take))
            amount -= take
        if amount.amount > 0:  # ahead of its note (an exit's refund): the next one takes it
            key = (pair, target)
            held = book.credit_ahead.get(key, self._zero())
            book = book._but(credit_ahead={**book.credit_ahead, key: held + amount})
        return book, self._zero(), target

    # -- convertible support (core.convertible) --

    def with_credits(self, credits: Money) -> Receivables:
        """A conversion issued ``credits``: the invoices issued after it take them."""
        left = self.credits_left if self.credits_left is not None else self._zero()
        return self._but(credits_left=left + credits)

    def _draw_credits(self, standing: InvoiceStanding) -> tuple[Receivables, InvoiceStanding]:
        left = self.credits_left
        if left is None or left.amount <= 0 or standing.outstanding.amount <= 0:
            return self, standing
        take = min(left, standing.outstanding)
        standing = standing._but(from_advance=standing.from_advance + take)
        return self._set(standing)._but(credits_left=left - take), standing

    def with_payment(self, payment: Payment) -> Receivables:
        """A payment: to the advance, to the invoice it names, or oldest open invoice first."""
        if payment.for_ == "convertible":  # the support: core.convertible keeps it
            return self
        amount = Money.of(payment.amount, self.currency)
        pair = (payment.from_, payment.to)
        if payment.for_ == "prepaid" and pair == self._advance_pair():
            return self._but(advance_paid=self.advance_paid + amount)._draw_advance()
        book = self
        named = book.find(payment.for_) if payment.for_ else None
        if named is not None and (named.to, named.from_) == pair:
            take = min(amount, named.outstanding)
            book = book._set(named._but(paid=named.paid + take))
            amount -= take
        elif named is None and payment.for_:
            credited = book._pay_credit(payment, amount)
            if credited is not None:
                paid_out, left, kind = credited
                if kind == "exit":  # the exit's refund returns the advance as well
                    return paid_out._unallocated(pair, amount)
                book, amount = paid_out, left
                if amount.is_zero:
                    return book
        return book._unallocated(pair, amount)

    def _unallocated(self, pair: Pair, amount: Money) -> Receivables:
        # signs are read off the bare amounts (all in the book's currency): the fold books
        # every payment of the journal through here, and ``min`` keeps picking as it did
        book = self
        back = (pair[1], pair[0])
        # money back first returns what the payee held on account with the payer, then advance
        held = book.on_account.get(back)
        if held is not None and amount.amount > 0 and held.amount > 0:
            returned = min(amount, held)
            book = book._but(on_account={**book.on_account, back: held - returned})
            amount -= returned
        if amount.amount > 0 and back == book._advance_pair():
            refund = min(amount, book.advance_left)
            if refund.amount > 0:
                book = book._but(advance_returned=book.advance_returned + refund)
                amount -= refund
        if amount.amount > 0:
            for invoice in book.oldest_open(pair):
                if amount.amount <= 0:
                    break
                take = min(amount, invoice.outstanding)
                book = book._set(invoice._but(paid=invoice.paid + take))
                amount -= take
        if amount.amount > 0:
            credit = book.on_account.get(pair)
            total = (credit if credit is not None else self._zero()) + amount
            book = book._but(on_account={**book.on_account, pair: total})
        return book


def _text(m: Money) -> str:
    return str(m.quantize().amount)


def check_payment_target(
    deal: Deal, book: Receivables, *, payer: str, payee: str, for_: str | None, amount: Decimal
) -> None:
    """Refuse a payment the books cannot place: finer than a cent, naming something that is
    not an invoice, an invoiced milestone or ``prepaid``, going the wrong way, or more than is
    outstanding on what it names (or left to pay of the advance)."""
    money = Money.of(amount, book.currency)
    if money.quantize() != money:
        raise RefusedCommand(
            f"a payment of {amount} has more digits than {book.currency} allows "
            f"({book.currency.digits} after the point)"
        )
    if not for_:
        return
    if for_ == "prepaid":
        _check_advance(deal, book, payer=payer, payee=payee, money=money)
        return
    if for_ == "convertible":  # the support: core.convertible.check_support_payment
        return
    invoice = book.find(for_)
    if invoice is None and (book.find_credit(for_) is not None or for_ in CREDIT_KINDS):
        _check_credit(book, payer=payer, payee=payee, for_=for_, money=money)
        return
    if invoice is None:
        if any(m.id == for_ for m in deal.milestones):
            raise RefusedCommand(
                f"milestone {for_} has not been invoiced yet, so nothing is due on it; record "
                "the payment without `for` (it is held on account) or once its invoice is issued"
            )
        known = ", ".join(m.id for m in deal.milestones) or "none"
        raise RefusedCommand(
            f"a payment is for an invoice or credit note number, a milestone of {deal.id} or "
            f"`prepaid`; {for_!r} is none of them (milestones: {known})"
        )
    what = f"invoice {invoice.number} ({', '.join(invoice.milestones)})"
    if (payer, payee) != (invoice.to, invoice.from_):
        raise RefusedCommand(
            f"{what} is billed by {invoice.from_} to {invoice.to}; {payer} paying {payee} "
            "does not settle it"
        )
    if money > invoice.outstanding:
        raise RefusedCommand(
            f"{what} has {_text(invoice.outstanding)} outstanding (total "
            f"{_text(invoice.total)}: {_text(invoice.from_advance)} from the advance, "
            f"{_text(invoice.paid)} paid); a payment of {_text(money)} for it is refused"
        )


def _check_credit(book: Receivables, *, payer: str, payee: str, for_: str, money: Money) -> None:
    """A credit note is paid out by its issuer to its addressee, up to what is outstanding on
    it (named by its kind: on the open notes of that kind between them)."""
    note = book.find_credit(for_)
    if note is None:
        notes = book.open_credits((payer, payee), for_)
        if not notes:
            raise RefusedCommand(
                f"{payer} has no open {for_} credit note to {payee}: nothing is paid "
                f"`for: {for_}` (name a credit note by its number)"
            )
        left = sum((n.outstanding for n in notes), book._zero())
        what = f"the open {for_} credit notes ({', '.join(n.number for n in notes)})"
    else:
        what = f"credit note {note.number} ({note.milestones[0]})"
        if (payer, payee) != (note.from_, note.to):
            raise RefusedCommand(
                f"{what} is issued by {note.from_} to {note.to}: {note.from_} pays it out to "
                f"{note.to}; {payer} paying {payee} does not settle it"
            )
        left = note.outstanding
    if money > left:
        paid = "" if note is None else f" (total {_text(note.total)}, {_text(note.paid)} paid out)"
        raise RefusedCommand(
            f"{what} has {_text(left)} outstanding{paid}; a payment of {_text(money)} for it "
            "is refused"
        )


def _check_advance(deal: Deal, book: Receivables, *, payer: str, payee: str, money: Money) -> None:
    if deal.prepaid is None:
        raise RefusedCommand(f"deal {deal.id} has no prepaid advance to pay")
    if (payer, payee) != (book.buyer, book.advance_payee):
        raise RefusedCommand(
            f"the prepaid advance is paid by {book.buyer} to {book.advance_payee}, "
            f"not by {payer} to {payee}"
        )
    left = advance_amount(deal) - (book.advance_paid - book.advance_returned)
    if money > left:
        raise RefusedCommand(
            f"the deal's advance is {_text(advance_amount(deal))} and "
            f"{_text(max(left, Money.zero(book.currency)))} of the advance is left to "
            f"pay; a payment of {_text(money)} for it is refused"
        )
