"""A double-entry view of a deal's money, built from the same events as its state.

Accounts are per party: ``cash``, ``receivable`` (what others owe it), ``payable`` (what it
owes), ``advance`` (money paid ahead of invoices: the payer's asset, the payee's liability),
``refund`` (advance money paid back), and two memorandum pairs: ``commitment`` (what the buyer
committed to pay over the deal, booked when the deal is signed) and ``claimed`` (completed but
unaccepted work the supplier has claimed). Every entry balances, which :class:`Entry`
enforces when it is built, so the ledger always sums to zero::

    payment 30,000 ridgeline → kestrel, nothing invoiced yet
      Dr kestrel:cash 30,000        Cr ridgeline:cash 30,000
      Dr ridgeline:advance 30,000   Cr kestrel:advance 30,000
    invoice 14,800 kestrel → ridgeline
      Dr kestrel:receivable 14,800  Cr ridgeline:payable 14,800
      settled from the advance:
      Dr ridgeline:payable 14,800   Cr kestrel:receivable 14,800
      Dr kestrel:advance 14,800     Cr ridgeline:advance 14,800
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from copact.core.deal import Deal
from copact.core.events import Event, Invoice, Payment, PaymentConfirmed, Signed, WorkClaimed
from copact.core.invoicing import advance_amount, buyer_of, invoice_amounts
from copact.errors import MoneyError

__all__ = ["Entry", "Ledger", "build_ledger"]


@dataclass(frozen=True)
class Entry:
    """One balanced entry: ``lines`` of (account, amount), debits positive, credits negative."""

    day: date
    memo: str
    lines: tuple[tuple[str, Decimal], ...]

    def __post_init__(self) -> None:
        if sum((amount for _, amount in self.lines), Decimal(0)) != 0:
            raise MoneyError(f"unbalanced entry: {self.memo}")


def _pair(day: date, memo: str, debit: str, credit: str, amount: Decimal) -> Entry:
    return Entry(day, memo, ((debit, amount), (credit, -amount)))


@dataclass(frozen=True)
class Ledger:
    entries: tuple[Entry, ...]

    def balances(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for entry in self.entries:
            for account, amount in entry.lines:
                out[account] += amount
        return dict(out)

    def balance(self, account: str) -> Decimal:
        return self.balances().get(account, Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum(self.balances().values(), Decimal(0))


def _commitment(deal: Deal) -> Decimal:
    invoices = sum((m.amount for m in invoice_amounts(deal).values()), Decimal(0))
    return invoices + (advance_amount(deal).amount if deal.prepaid else Decimal(0))


def _booked(events: Iterable[Event]) -> list[Event]:
    """The events in journal order, a payment recorded by its payer moved to the day its
    payee confirmed it (and left out while it waits): money counts once it has arrived."""
    held: dict[str, Payment] = {}
    out: list[Event] = []
    for e in sorted(events, key=lambda x: x.day):
        if isinstance(e, Payment) and e.by is not None:
            held[e.ref] = e
        elif isinstance(e, PaymentConfirmed) and e.ref in held:
            out.append(held.pop(e.ref).model_copy(update={"at": e.at}))
        else:
            out.append(e)
    return out


def build_ledger(events: Iterable[Event], deal: Deal | None = None) -> Ledger:
    """The entries of every payment, invoice and claim, in journal order (and, given the deal,
    the buyer's commitment when it is signed)."""
    entries: list[Entry] = []
    committed = False
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # (debtor, creditor) → open
    ahead: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # (payer, payee) → advance
    for e in _booked(events):
        if isinstance(e, Signed) and deal is not None and deal.suppliers and not committed:
            committed = True
            buyer, supplier = buyer_of(deal), deal.suppliers[0].id
            total = _commitment(deal)
            memo = "commitment at signature"
            entries.append(
                _pair(e.day, memo, f"{supplier}:commitment", f"{buyer}:commitment", total)
            )
        elif isinstance(e, Payment):
            entries.append(
                _pair(e.day, f"payment {e.ref}", f"{e.to}:cash", f"{e.from_}:cash", e.amount)
            )
            # money back from a party that was paid ahead: a refund of unused advance
            back = min(e.amount, ahead[(e.to, e.from_)])
            if back:
                ahead[(e.to, e.from_)] -= back
                entries.append(
                    _pair(e.day, f"refund {e.ref}", f"{e.from_}:advance", f"{e.to}:advance", back)
                )
                entries.append(
                    _pair(e.day, f"refund {e.ref}", f"{e.to}:refund", f"{e.from_}:refund", back)
                )
            amount = e.amount - back
            settled = min(amount, owed[(e.from_, e.to)])
            if settled:
                owed[(e.from_, e.to)] -= settled
                entries.append(
                    _pair(
                        e.day,
                        f"settles {e.ref}",
                        f"{e.from_}:payable",
                        f"{e.to}:receivable",
                        settled,
                    )
                )
            rest = amount - settled
            if rest:
                ahead[(e.from_, e.to)] += rest
                entries.append(
                    _pair(e.day, f"advance {e.ref}", f"{e.from_}:advance", f"{e.to}:advance", rest)
                )
        elif isinstance(e, Invoice):
            total = e.total
            entries.append(
                _pair(
                    e.day, f"invoice {e.number}", f"{e.from_}:receivable", f"{e.to}:payable", total
                )
            )
            drawn = min(total, ahead[(e.to, e.from_)])
            if drawn:
                ahead[(e.to, e.from_)] -= drawn
                memo = f"invoice {e.number} from advance"
                entries.append(
                    _pair(e.day, memo, f"{e.to}:payable", f"{e.from_}:receivable", drawn)
                )
                entries.append(_pair(e.day, memo, f"{e.from_}:advance", f"{e.to}:advance", drawn))
            owed[(e.to, e.from_)] += total - drawn
        elif isinstance(e, WorkClaimed):
            entries.append(
                _pair(e.day, f"claim {e.for_}", "supplier:claimed", "supplier:claims", e.amount)
            )
    return Ledger(tuple(entries))
