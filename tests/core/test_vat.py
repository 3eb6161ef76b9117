"""VAT is in the journal: a milestone invoice of a standard-rated deal carries the VAT it
charges, so the buyer's payments, the prepaid advance, the documents and the exit settlement
all count the same gross total.

pump-retrofit (tests/fixtures/einvoice-pump.yaml, EUR, standard 19%, value 200,000.00, a
50,000.00 advance): design (20%) is invoiced 40,000.00 + 19% = 7,600.00 VAT, 47,600.00 in
all, which the advance settles, leaving 2,400.00 of it for install (60,000.00 + 11,400.00).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.events import Event, Invoice, Signed
from copact.core.invoicing import vat_on
from copact.core.money import Money
from copact.errors import RefusedCommand
from copact.services.operations import admit
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import FIXTURE, fixture_deal

DEAL = fixture_deal()


def _invoices(j: Journal) -> list[Invoice]:
    return [e for e in j.events if isinstance(e, Invoice)]


def test_a_standard_rated_invoice_carries_its_vat_and_the_advance_settles_the_gross() -> None:
    j = Journal(DEAL)
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    design = j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    first, second = _invoices(j)
    assert (first.net, first.tax, first.total) == (
        Decimal("40000.00"),
        Decimal("7600.00"),
        Decimal("47600.00"),
    )
    assert (second.net, second.tax, second.total) == (
        Decimal("60000.00"),
        Decimal("11400.00"),
        Decimal("71400.00"),
    )
    book = j.state(date(2026, 6, 2)).book
    paid, rest = book.find(design), book.find(install)
    assert paid is not None and rest is not None
    assert paid.status == "paid" and str(paid.from_advance.amount) == "47600.00"
    assert str(rest.from_advance.amount) == "2400.00"
    assert str(rest.outstanding.amount) == "69000.00"


def test_an_imported_invoice_must_charge_the_vat_the_deal_says() -> None:
    j = Journal(DEAL)
    j.deliver("design", date(2026, 3, 1))
    *operated, invoice = j.events
    assert isinstance(invoice, Invoice)
    # the journal opens with a person of each party signing: the deal binds, so it operates
    signed = [Signed(at=date(2026, 1, 1), deal=DEAL.id, by=[who]) for who in ("ann", "bo")]
    history: list[Event] = [*signed, *operated]
    admit(DEAL, history, invoice)  # as the guards made it: admitted
    for tax in (Decimal("7599.99"), None):
        altered = invoice.model_copy(update={"tax": tax})
        with pytest.raises(RefusedCommand, match="VAT"):
            admit(DEAL, history, altered)


def test_a_deal_outside_the_scope_of_vat_invoices_none() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "tax: {category: standard, rate: 19%}",
        "tax: {category: outside-scope, exemption-reason: Not subject to VAT}",
    )
    j = Journal(fixture_deal(text))
    j.deliver("design", date(2026, 3, 1))
    (invoice,) = _invoices(j)
    assert invoice.tax is None and invoice.total == invoice.net == Decimal("40000.00")


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=10**13),
    rate=st.sampled_from(["5.5", "7", "10", "19", "20", "21", "25", "27"]),
)
def test_vat_is_net_times_rate_half_even_to_the_cent(cents: int, rate: str) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("rate: 19%", f"rate: {rate}%")
    deal = fixture_deal(text)
    net = Money.of(Decimal(cents) / 100, deal.money_currency)
    vat = vat_on(deal, net)
    exact = net.amount * Decimal(rate) / 100
    assert vat.amount == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert abs(vat.amount - exact) <= Decimal("0.005")  # never more than half a cent off
    assert vat.amount.as_tuple().exponent == -2  # in cents: nothing finer is billed


def test_the_exit_settlement_counts_the_vat_on_both_sides() -> None:
    """The advance paid 50,000.00; design was accepted and invoiced at 47,600.00 with its VAT:
    2,400.00 of the advance is unused and refunded on a convenience exit (a net 40,000.00
    against the gross payments would refund 10,000.00: VAT the buyer was billed and owes)."""
    from copact.core.settlement import settle_exit

    text = FIXTURE.read_text(encoding="utf-8") + (
        "exit:\n  triggers:\n    convenience: {by: [mill]}\n  prepaid-refund: {unused: true}\n"
    )
    deal = fixture_deal(text)
    j = Journal(deal)
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    s = settle_exit(deal, j.events, trigger="convenience", on=date(2026, 4, 1), by="mill")
    assert tuple(str(m.quantize().amount) for m in (s.paid, s.earned, s.unused)) == (
        "50000.00",
        "47600.00",
        "2400.00",
    )
    assert str(s.refund.quantize().amount) == "2400.00"
