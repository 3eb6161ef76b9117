"""V901–V908 on a small deal that invoices: a German pump maker retrofits a Hamburg mill's pumps
for 200,000 EUR in two milestones, at 19% German VAT. Each rule stays silent on the deal as
written and fires, at the key it names, on the one change that breaks it."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from copact.core.deal import Structure
from copact.core.diagnostic import Diagnostic, Severity
from copact.dealfile.dump import dump_data
from copact.dealfile.loader import load_text
from copact.dealfile.nodes import parse_yaml
from copact.dealfile.starters import starter_deal
from copact.rules.catalogue import get_rule
from copact.rules.runner import check_deal

DEAL = """\
copact: 1
id: pump-retrofit
title: Pump retrofit of the Hamburg mill
structure: milestone-funding
currency: EUR
effective: 2026-01-01
parties:
  - id: mill
    name: Mill Company GmbH
    role: buyer
    address: {lines: [Hafenstraße 12], city: Hamburg, postcode: "20457", country: DE}
    vat-id: DE123456789
    email: ap@mill.example.com
  - id: pumpco
    name: PumpCo Antriebstechnik GmbH
    role: supplier
    address: {lines: [Industriering 4, Halle 2], city: Dortmund, postcode: "44147", country: DE}
    vat-id: DE987654321
    email: billing@pumpco.example.com
    payment: {iban: DE89 3704 0044 0532 0130 00, bic: COBADEFFXXX}
    invoice-series: PC-2026-
people:
  - {id: ann, party: mill, name: Ann Berg, duties: [owner, technical-acceptance]}
value: 200000
tax: {category: standard, rate: 19%}
milestones:
  - {id: design, payment: 40%, due: 2026-03-01,
     acceptance: {criteria: [drawing signed], evidence: [drawing], signoff: ann}}
  - {id: install, payment: 60%, due: 2026-06-01,
     acceptance: {criteria: [installed], evidence: [photo], signoff: ann}}
"""

RC = {"category": "reverse-charge", "exemption-reason": "Reverse charge"}


def _base() -> dict[str, Any]:
    parsed = parse_yaml(DEAL)
    assert isinstance(parsed, tuple)
    data = parsed[0]
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _v(text: str) -> list[Diagnostic]:
    loaded = load_text(text, "deal.yaml")
    assert loaded.diagnostics == [], loaded.diagnostics
    return [d for d in check_deal(loaded) if d.code.startswith("V")]


def _found(data: dict[str, Any], code: str) -> list[str]:
    """The pointers at which ``code`` is reported on the deal ``data``, each on a real line."""
    text = dump_data(data)
    mine = [d for d in _v(text) if d.code == code]
    lines = text.splitlines()
    for d in mine:
        assert 1 <= d.line <= len(lines) and d.column >= 1
    return [d.pointer for d in mine]


def _party(data: dict[str, Any], party_id: str) -> dict[str, Any]:
    party = next(p for p in data["parties"] if p["id"] == party_id)
    assert isinstance(party, dict)
    return party


def test_the_deal_as_written_needs_nothing_more_for_its_invoices() -> None:
    assert _v(DEAL) == []


def test_findings_land_on_the_key_they_name() -> None:
    # the supplier's address removed: V901 points at the party, line 14 of the text
    text = DEAL.replace(
        '    address: {lines: [Industriering 4, Halle 2], city: Dortmund, postcode: "44147", '
        "country: DE}\n",
        "",
    )
    [finding] = _v(text)
    assert (finding.code, finding.pointer, finding.line, finding.column) == (
        "V901",
        "/parties/1",
        14,
        5,
    )
    assert finding.severity is Severity.WARNING
    assert finding.message == "pumpco has no postal address for its invoices"


def test_a_deal_that_invoices_nothing_is_not_asked_for_invoice_details() -> None:
    data = _base()
    data.pop("tax")
    for party in data["parties"]:
        for key in ("address", "vat-id", "payment", "invoice-series"):
            party.pop(key, None)
    for milestone in data["milestones"]:
        milestone.pop("payment")
    data.pop("value")
    assert _v(dump_data(data)) == []


# --- V901 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("party", "pointer"), [("mill", "/parties/0"), ("pumpco", "/parties/1")])
def test_v901_the_buyer_and_the_payee_need_an_address(party: str, pointer: str) -> None:
    data = _base()
    _party(data, party).pop("address")
    assert _found(data, "V901") == [pointer]


def test_v901_a_supplier_that_is_never_paid_needs_no_address() -> None:
    # every milestone names pumpco as payee; a second supplier only contributes its designs
    data = _base()
    data["parties"].append({"id": "designer", "name": "Entwurf AG", "role": "supplier"})
    for milestone in data["milestones"]:
        milestone["payee"] = "pumpco"
    assert _found(data, "V901") == []
    assert _found(data, "V905") == []


def test_v901_every_supplier_of_a_service_fee_invoices() -> None:
    data = _base()
    data["parties"].append({"id": "service", "name": "Service GmbH", "role": "supplier"})
    for milestone in data["milestones"]:
        milestone["payee"] = "pumpco"
    data["prepaid"] = {"amount": 20000}
    assert _found(data, "V901") == ["/parties/2"]


# --- V902 -------------------------------------------------------------------------------------


def test_v902_a_deal_that_invoices_says_what_vat_its_invoices_carry() -> None:
    data = _base()
    data.pop("tax")
    assert _found(data, "V902") == [""]


# --- V903 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tax", "pointers"),
    [
        ({"category": "standard", "rate": "0%"}, ["/tax/rate"]),
        ({"category": "standard"}, ["/tax"]),  # the rate defaults to 0%
        (
            {"category": "standard", "rate": "19%", "exemption-reason": "Exempt"},
            ["/tax/exemption-reason"],
        ),
        ({"category": "reverse-charge", "rate": "19%"}, ["/tax/rate", "/tax"]),
        ({**RC, "rate": "19%"}, ["/tax/rate"]),
        ({"category": "exempt"}, ["/tax"]),
        ({"category": "export"}, ["/tax"]),
        ({"category": "intra-community"}, ["/tax"]),
        ({"category": "outside-scope"}, ["/tax"]),
        ({"category": "zero-rated", "exemption-reason": "Zero rate"}, ["/tax/exemption-reason"]),
        ({"category": "standard", "rate": "119%"}, ["/tax/rate"]),
        ({"category": "standard", "rate": "-19%"}, ["/tax/rate"]),
    ],
)
def test_v903_a_tax_rule_that_contradicts_itself(tax: dict[str, str], pointers: list[str]) -> None:
    data = _base()
    data["tax"] = tax
    assert sorted(_found(data, "V903")) == sorted(pointers)


@pytest.mark.parametrize(
    "tax",
    [
        {"category": "standard", "rate": "7%"},
        {"category": "zero-rated"},
        {"category": "zero-rated", "rate": "0%"},
        RC,
        {"category": "exempt", "exemption-reason": "Exempt under §4 Nr. 14 UStG"},
        {"category": "outside-scope", "exemption-reason": "Not subject to VAT"},
        {"category": "standard", "rate": "100%"},
    ],
)
def test_v903_a_tax_rule_an_invoice_can_print(tax: dict[str, str]) -> None:
    data = _base()
    data["tax"] = tax
    assert _found(data, "V903") == []


def test_v903_is_an_error() -> None:
    rule = get_rule("V903")
    assert rule is not None and rule.severity is Severity.ERROR


# --- V904 -------------------------------------------------------------------------------------


def test_v904_a_reverse_charge_needs_the_buyers_vat_id() -> None:
    data = _base()
    data["tax"] = RC
    _party(data, "mill").pop("vat-id")
    _party(data, "mill")["tax-id"] = "22/815/08154"  # a tax number is not enough
    assert _found(data, "V904") == ["/parties/0"]


def test_v904_an_intra_community_supply_needs_the_sellers_vat_id() -> None:
    data = _base()
    data["tax"] = {"category": "intra-community", "exemption-reason": "Intra-community supply"}
    _party(data, "pumpco").pop("vat-id")
    assert _found(data, "V904") == ["/parties/1"]


@pytest.mark.parametrize("category", ["standard", "zero-rated", "exempt"])
def test_v904_vat_charged_or_exempt_needs_the_sellers_vat_id_or_tax_id(category: str) -> None:
    data = _base()
    data["tax"] = {
        "standard": {"category": "standard", "rate": "19%"},
        "zero-rated": {"category": "zero-rated"},
        "exempt": {"category": "exempt", "exemption-reason": "Exempt"},
    }[category]
    seller = _party(data, "pumpco")
    seller.pop("vat-id")
    assert _found(data, "V904") == ["/parties/1"]
    seller["tax-id"] = "315/5802/1234"
    assert _found(data, "V904") == []


def test_v904_an_export_needs_the_sellers_vat_id() -> None:
    data = _base()
    data["tax"] = {"category": "export", "exemption-reason": "Export outside the EU"}
    seller = _party(data, "pumpco")
    seller.pop("vat-id")
    seller["tax-id"] = "315/5802/1234"
    assert _found(data, "V904") == ["/parties/1"]


def test_v904_outside_the_scope_of_vat_needs_no_vat_id() -> None:
    data = _base()
    data["tax"] = {"category": "outside-scope", "exemption-reason": "Not subject to VAT"}
    for party in data["parties"]:
        party.pop("vat-id")
    assert _found(data, "V904") == []


# --- V905 -------------------------------------------------------------------------------------


def test_v905_the_payee_says_where_it_is_paid() -> None:
    data = _base()
    _party(data, "pumpco").pop("payment")
    assert _found(data, "V905") == ["/parties/1"]
    _party(data, "pumpco")["payment"] = {"bic": "COBADEFFXXX"}
    assert _found(data, "V905") == ["/parties/1/payment"]
    _party(data, "pumpco")["payment"] = {"account": "Sparkasse Dortmund, Konto 123456"}
    assert _found(data, "V905") == []


def test_v905_a_buyer_paid_a_revenue_share_is_a_payee_too() -> None:
    data = _base()
    data["revenue-share"] = {"party": "mill", "share": "3%", "of": "net sales of the pump"}
    assert _found(data, "V905") == ["/parties/0"]
    # copact numbers milestone invoices only: the royalty statement needs no series here
    assert _found(data, "V907") == []


# --- V906 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "vat_id", "flagged"),
    [
        ("DE", "FR12345678901", True),
        ("GR", "GR094014201", True),
        ("GR", "EL094014201", False),
        ("GB", "XI123456782", False),  # a Northern Ireland trader
        ("GB", "GB123456782", False),
        ("IE", "XI123456782", True),
        ("NL", "NL805123477B01", False),
    ],
)
def test_v906_the_vat_id_prefix_is_the_address_country(
    country: str, vat_id: str, flagged: bool
) -> None:
    data = _base()
    seller = _party(data, "pumpco")
    seller["address"]["country"] = country
    seller["vat-id"] = vat_id
    assert _found(data, "V906") == (["/parties/1/vat-id"] if flagged else [])


def test_v906_names_the_prefix_it_expects() -> None:
    data = _base()
    _party(data, "pumpco")["address"]["country"] = "GR"
    _party(data, "pumpco")["vat-id"] = "GR094014201"
    [finding] = [d for d in _v(dump_data(data)) if d.code == "V906"]
    assert finding.message == "the VAT id of pumpco starts GR; one registered in GR starts EL"


# --- V907 -------------------------------------------------------------------------------------


def test_v907_without_a_series_the_deal_numbers_the_invoices() -> None:
    data = _base()
    _party(data, "pumpco").pop("invoice-series")
    [finding] = [d for d in _v(dump_data(data)) if d.code == "V907"]
    assert (finding.pointer, finding.severity) == ("/parties/1", Severity.INFO)
    assert "pump-retrofit-001" in finding.message


# --- V908 -------------------------------------------------------------------------------------


def _two_suppliers(first: str | None, second: str | None) -> dict[str, Any]:
    data = _base()
    data["parties"].append(
        {
            "id": "motorco",
            "name": "MotorCo GmbH",
            "role": "supplier",
            "address": {"lines": ["Werkstraße 1"], "city": "Essen", "country": "DE"},
            "vat-id": "DE111222333",
            "payment": {"iban": "DE89 3704 0044 0532 0130 00"},
        }
    )
    data["milestones"][0]["payee"] = "pumpco"
    data["milestones"][1]["payee"] = "motorco"
    for party_id, series in (("pumpco", first), ("motorco", second)):
        party = _party(data, party_id)
        party.pop("invoice-series", None)
        if series is not None:
            party["invoice-series"] = series
    return data


@pytest.mark.parametrize(
    ("first", "second", "pointers"),
    [
        ("PC-2026-", "PC-2026-", ["/parties/2/invoice-series"]),
        ("PC-2026-", "pc-2026-", ["/parties/2/invoice-series"]),  # the same to a reader
        ("PC-", "PC-2026-", ["/parties/2/invoice-series"]),  # PC-'s count takes in PC-2026-…
        ("PC-2026-", "MC-2026-", []),
        ("pump-", None, ["/parties/1/invoice-series"]),  # motorco's pump-retrofit-001 is pump-…
        ("PC-2026-", None, []),
    ],
)
def test_v908_each_seller_has_a_series_of_its_own(
    first: str | None, second: str | None, pointers: list[str]
) -> None:
    assert _found(_two_suppliers(first, second), "V908") == pointers


def test_v908_is_an_error() -> None:
    rule = get_rule("V908")
    assert rule is not None and rule.severity is Severity.ERROR


# --- starters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP", "JPY"])
@pytest.mark.parametrize("structure", list(Structure), ids=str)
def test_a_starter_has_what_its_invoices_need(structure: Structure, currency: str) -> None:
    text = starter_deal(
        structure,
        buyer="Acme Hosting LLC",
        supplier="Grüne Energie GmbH",
        currency=currency,
        value=Decimal(100000),
        start=date(2026, 6, 1),
    )
    assert _v(text) == []
    deal = load_text(text).deal
    assert deal is not None and deal.tax is not None
    supplier = deal.suppliers[0]
    assert supplier.invoice_series == "GRUNE-ENER-2026-"
    assert supplier.address is not None and supplier.payment is not None
