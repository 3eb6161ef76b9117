"""Starter deals (`copact new`): every structure, in currencies with 2 and 0 minor digits,
loads cleanly and has no errors under `copact check`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from copact.core.deal import STRUCTURE_NEEDS, Deal, Structure
from copact.core.diagnostic import Severity
from copact.core.money import Currency
from copact.dealfile.loader import load_text
from copact.dealfile.starters import party_slug, starter_deal
from copact.rules.runner import check_deal

CURRENCIES = [("USD", Decimal(100000)), ("EUR", Decimal("250000.50")), ("JPY", Decimal(15000000))]
MAX_WARNINGS = 2


def _starter(structure: Structure, currency: str = "USD", value: Decimal = Decimal(100000)) -> str:
    return starter_deal(
        structure,
        buyer="Acme Hosting LLC",
        supplier="Grüne Energie GmbH",
        currency=currency,
        value=value,
        start=date(2026, 6, 1),
    )


def _deal(text: str) -> Deal:
    loaded = load_text(text, "starter.yaml")
    assert loaded.diagnostics == [], [(d.line, d.message) for d in loaded.diagnostics]
    assert loaded.deal is not None
    return loaded.deal


@pytest.mark.parametrize(("currency", "value"), CURRENCIES, ids=[c for c, _ in CURRENCIES])
@pytest.mark.parametrize("structure", list(Structure), ids=str)
def test_starter_loads_and_has_no_errors(
    structure: Structure, currency: str, value: Decimal
) -> None:
    text = _starter(structure, currency, value)
    loaded = load_text(text, f"{structure.value}.yaml")
    assert loaded.diagnostics == []
    findings = check_deal(loaded)
    errors = [(f.line, f.code, f.message) for f in findings if f.severity is Severity.ERROR]
    assert errors == []
    warnings = [(f.line, f.code, f.message) for f in findings if f.severity is Severity.WARNING]
    assert len(warnings) <= MAX_WARNINGS, warnings


@pytest.mark.parametrize("structure", list(Structure), ids=str)
def test_starter_has_the_mechanisms_its_structure_needs(structure: Structure) -> None:
    deal = _deal(_starter(structure))
    assert deal.structure is structure
    for needed in STRUCTURE_NEEDS[structure]:
        assert needed & set(deal.mechanisms)
    assert len(deal.mechanisms) <= 3


@pytest.mark.parametrize("structure", list(Structure), ids=str)
def test_starter_milestones_add_up_to_the_value_and_fall_in_the_timeline(
    structure: Structure,
) -> None:
    # Cost-plus pays by cost receipts, so its staged milestones pay nothing; every
    # other structure's milestones add up to the whole value.
    deal = _deal(_starter(structure))
    paid = sum(m.payment.fraction for m in deal.milestones if m.payment)
    assert paid == (0 if structure is Structure.COST_PLUS_REIMBURSEMENT else 1)
    assert deal.scope is not None and deal.scope.timeline is not None
    dues = [m.due for m in deal.milestones if m.due]
    assert dues == sorted(dues)
    assert deal.scope.timeline.start <= dues[0] and dues[-1] <= deal.scope.timeline.end


def test_a_starter_reads_like_a_deal_between_the_named_parties() -> None:
    # Acme Hosting LLC buys from VoltWorks Inc.: ids drop the legal form; 20% of 420,000
    # is the design milestone, and the buyer's owner signs it off.
    text = starter_deal(
        Structure.MILESTONE_FUNDING,
        buyer="Acme Hosting LLC",
        supplier="VoltWorks Inc.",
        value=Decimal(420000),
        start=date(2026, 6, 1),
    )
    deal = _deal(text)
    assert [(p.id, p.name, p.role) for p in deal.parties] == [
        ("acme-hosting", "Acme Hosting LLC", "buyer"),
        ("voltworks", "VoltWorks Inc.", "supplier"),
    ]
    assert deal.value == Decimal(420000)
    first = deal.milestones[0]
    assert str(first.payment) == "20%"
    assert first.acceptance is not None and first.acceptance.signoff == "owner"
    assert deal.role_of_person("owner") == "buyer"
    assert "TODO" in text and "# " in text


@pytest.mark.parametrize(("currency", "value"), CURRENCIES, ids=[c for c, _ in CURRENCIES])
def test_amounts_fit_the_currency_minor_unit(currency: str, value: Decimal) -> None:
    deal = _deal(_starter(Structure.PREPAID_DEVELOPMENT_FEE, currency, value))
    unit = Currency.of(currency).minor_unit
    assert deal.prepaid is not None
    amounts = [deal.value, deal.prepaid.amount, *(p.cost for p in deal.phases)]
    assert all(a is not None and a % unit == 0 for a in amounts)
    # a quarter of the value is the advance, to the minor unit: 3,750,000 yen, 62,500.13 euro
    expected = {"USD": Decimal(25000), "EUR": Decimal("62500.12"), "JPY": Decimal(3750000)}
    assert deal.prepaid.amount == expected[currency]


def test_gainshare_starter_has_a_locked_baseline_before_the_start() -> None:
    deal = _deal(_starter(Structure.GAINSHARE))
    assert deal.gainshare is not None and deal.gainshare.baseline is not None
    baseline = deal.gainshare.baseline
    assert baseline.to == date(2026, 5, 31)
    assert baseline.locked == date(2026, 6, 1)
    assert baseline.rebaseline == "mutual"


def test_names_are_kept_exactly_and_quoted_safely() -> None:
    buyer = 'Café "Zur Post": Müller & Söhne #1 GmbH'
    text = starter_deal(
        Structure.JOINT_DEVELOPMENT,
        buyer=buyer,
        supplier="株式会社サンプル",
        start=date(2026, 1, 31),
    )
    deal = _deal(text)
    assert [(p.id, p.name) for p in deal.parties] == [
        ("cafe-zur-post-muller-sohne-1", buyer),
        ("supplier", "株式会社サンプル"),
    ]
    swapped = starter_deal(
        Structure.GAINSHARE, buyer="Acme", supplier=buyer, start=date(2026, 1, 31)
    )
    assert _deal(swapped).title == f"TODO gainshare with {buyer}"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Hosting LLC", "acme-hosting"),
        ("Kestrel Polymer Works Inc.", "kestrel-polymer-works"),
        ("Rijnpak Verpakkingen B.V.", "rijnpak-verpakkingen"),
        ("Ltd", "ltd"),
        ("Société Générale S.A.", "societe-generale"),
        ("株式会社サンプル", "party"),
    ],
)
def test_party_slug(name: str, slug: str) -> None:
    assert party_slug(name, fallback="party") == slug


def test_parties_with_the_same_name_get_distinct_ids() -> None:
    deal = _deal(
        starter_deal(Structure.GAINSHARE, buyer="Acme", supplier="ACME Inc", start=date(2026, 1, 1))
    )
    assert [p.id for p in deal.parties] == ["acme-buyer", "acme-supplier"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"value": Decimal(0)}, "positive"),
        ({"value": Decimal("-5")}, "positive"),
        ({"value": Decimal("60000.005")}, "more decimals than USD allows"),
        ({"value": Decimal("1000.5"), "currency": "JPY"}, "more decimals than JPY allows"),
        ({"buyer": "   "}, "name"),
    ],
)
def test_bad_input_is_a_value_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "buyer": "Acme LLC",
        "supplier": "Volt Inc",
        "start": date(2026, 1, 1),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        starter_deal(Structure.MILESTONE_FUNDING, **args)  # type: ignore[arg-type]
