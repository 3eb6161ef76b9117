"""The legal invoice says what the journal says, to the cent, with the VAT of the deal's tax
rule computed per VAT group, half-even (tests/fixtures/einvoice-pump.yaml: 19% standard VAT,
a 50,000.00 advance)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from copact.documents.legal import LegalLine, vat_groups
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import FIXTURE, fixture_deal, legal_of

DEAL = fixture_deal()


def test_the_design_invoice_has_the_parties_lines_vat_and_totals_of_the_journal() -> None:
    j = Journal(DEAL)
    number = j.deliver("design", date(2026, 3, 1))
    inv = legal_of(j, number, date(2026, 3, 1))
    assert (inv.type_code, inv.number, inv.issued, inv.due) == (
        380,
        number,
        date(2026, 3, 1),
        date(2026, 3, 31),
    )
    assert inv.seller.legal_name == "PumpCo Antriebstechnik GmbH"
    assert inv.seller.vat_id == "DE987654321"
    assert inv.buyer.legal_name == "Mill Company GmbH"
    [line] = inv.lines
    assert (line.id, line.name, line.net, line.vat_category, line.vat_rate) == (
        "design",
        "Retrofit design and drawings",
        Decimal("40000.00"),
        "S",
        Decimal(19),
    )
    [group] = inv.vat
    assert (group.taxable, group.tax, group.exemption_reason) == (
        Decimal("40000.00"),
        Decimal("7600.00"),
        None,
    )
    assert inv.line_total == inv.tax_exclusive == Decimal("40000.00")
    assert inv.tax_inclusive == Decimal("47600.00")
    assert inv.prepaid == Decimal(0) and inv.payable == Decimal("47600.00")
    assert inv.payment is not None and inv.payment.iban == "DE89370400440532013000"
    assert inv.payment_terms == "30 days net, due 2026-03-31"
    assert inv.buyer_reference == "pump-retrofit"
    assert inv.supporting == ((line.evidence[0], "drawing.pdf"),)


def test_what_the_paid_advance_settled_is_prepaid_and_the_rest_is_payable() -> None:
    j = Journal(DEAL)
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    inv = legal_of(j, install, date(2026, 6, 1))
    # the advance settled design's 47,600.00 (40,000.00 + 19% VAT) and the remaining 2,400.00
    # of install's 71,400.00
    assert inv.prepaid == Decimal("2400.00")
    assert inv.tax_inclusive == Decimal("71400.00")
    assert inv.payable == Decimal("69000.00")


def test_a_deal_without_a_tax_rule_invoices_outside_the_scope_of_vat() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    deal = fixture_deal(text.replace("tax: {category: standard, rate: 19%}\n", ""))
    j = Journal(deal)
    inv = legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))
    [group] = inv.vat
    assert (group.category, group.rate, group.tax) == ("O", Decimal(0), Decimal(0))
    assert group.exemption_reason == "Not subject to VAT"
    assert not inv.vat_ids_shown
    assert inv.payable == Decimal("40000.00")


def test_vat_is_rounded_per_group_half_even_not_per_line() -> None:
    lines = tuple(
        LegalLine(f"m{i}", "x", Decimal(1), "C62", net, net, "S", Decimal(19), ())
        for i, net in enumerate([Decimal("0.50"), Decimal("0.50")])
    )
    # per line 0.095 → 0.10 twice = 0.20; per group 1.00 × 19% = 0.19
    [group] = vat_groups(lines, None)
    assert group.tax == Decimal("0.19")
    half = (
        LegalLine(
            "m", "x", Decimal(1), "C62", Decimal("0.50"), Decimal("0.50"), "S", Decimal(5), ()
        ),
    )
    assert vat_groups(half, None)[0].tax == Decimal("0.02")  # 0.025 → 0.02, half-even


cents = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2)
rates = st.sampled_from([Decimal(0), Decimal(5), Decimal("7.7"), Decimal(19), Decimal(25)])


@given(st.lists(st.tuples(cents, rates), min_size=1, max_size=8))
def test_vat_groups_cover_every_line_once_and_their_tax_is_within_half_a_cent(
    lines_in: list[tuple[Decimal, Decimal]],
) -> None:
    lines = tuple(
        LegalLine(f"m{i}", "x", Decimal(1), "C62", net, net, "S", rate, ())
        for i, (net, rate) in enumerate(lines_in)
    )
    groups = vat_groups(lines, None)
    assert sum(g.taxable for g in groups) == sum(n for n, _ in lines_in)
    assert len({(g.category, g.rate) for g in groups}) == len(groups)
    for g in groups:
        exact = g.taxable * g.rate / 100
        assert abs(g.tax - exact) <= Decimal("0.005")
        assert g.tax == g.tax.quantize(Decimal("0.01"))
