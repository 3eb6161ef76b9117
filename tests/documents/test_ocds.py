"""The OCDS release package of a deal, checked against the published OCDS 1.1.5 schemas.

Worked on examples/heat-sensor-housing.yaml and its journal: design-freeze is submitted on
2026-09-15 and accepted on 2026-09-18 (scheduled → met); prototype-samples is rejected on
2026-12-04 with 20 cure days and never resubmitted, so it is missed at the end of 2026-12-24
(scheduled → notMet); the advance PP-1 of 30,000.00 is the one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from copact.core.deal import Address, Deal, Party
from copact.core.events import (
    ChangeApproved,
    ChangeProposed,
    Event,
    ExitInvoked,
    Payment,
    PaymentConfirmed,
    parse_events,
)
from copact.core.money import Money
from copact.core.state import deal_state
from copact.documents.ocds import DEFAULT_OCID_PREFIX, ocds_number, release_package
from tests.conftest import EXAMPLES, FIXTURES, load_example

SCHEMAS = FIXTURES / "ocds"
PUBLISHED = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
JOURNAL = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

_formats = FormatChecker()


@_formats.checks("date-time")
def _date_time(value: object) -> bool:
    """RFC 3339, as OCDS requires (jsonschema checks it only with an extra installed)."""
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.match(value)) and datetime.fromisoformat(value).tzinfo is not None


@_formats.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlparse(value).scheme)


def _validator() -> Draft4Validator:
    """The release-package schema with its $ref to the release schema resolved from the
    vendored copy: no network."""
    registry: Registry[Any] = Registry()
    for name in ("release-package-schema.json", "release-schema.json"):
        contents = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        registry = registry.with_resource(
            contents["id"], Resource.from_contents(contents, default_specification=DRAFT4)
        )
    package = json.loads((SCHEMAS / "release-package-schema.json").read_text(encoding="utf-8"))
    return Draft4Validator(package, registry=registry, format_checker=_formats)


VALIDATOR = _validator()


def schema_errors(package: dict[str, Any]) -> list[str]:
    """Every way ``package`` (as JSON text would carry it) breaks the OCDS schemas."""
    as_json = json.loads(json.dumps(package))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in VALIDATOR.iter_errors(as_json)
    ]


def heat_journal() -> list[Event]:
    events, problems = parse_events(JOURNAL.read_text(encoding="utf-8"), str(JOURNAL))
    assert not problems
    return events


def package_on(deal: Deal, events: list[Event], on: date) -> dict[str, Any]:
    state = deal_state(deal, events, on=on)
    return release_package(deal, events, state, published=PUBLISHED)


def contract(package: dict[str, Any]) -> dict[str, Any]:
    [release] = package["releases"]
    [found] = release["contracts"]
    return dict(found)


def milestones(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in contract(package)["implementation"]["milestones"]}


def test_the_vendored_schemas_are_the_published_ones() -> None:
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for name in ("release-package-schema.json", "release-schema.json"):
        digest = hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest()
        assert f"`{name}` | https://standard.open-contracting.org/schema/1__1__5/{name}" in readme
        assert digest in readme


def test_the_validator_catches_a_broken_package() -> None:
    """The schema check has teeth: a status outside the codelist, an amount as a string, a bare
    date are each refused."""
    package = package_on(
        load_example("heat-sensor-housing.yaml"), heat_journal(), date(2026, 12, 31)
    )
    broken = json.loads(json.dumps(package))
    implementation = broken["releases"][0]["contracts"][0]["implementation"]
    implementation["milestones"][1]["status"] = "accepted"
    implementation["transactions"][0]["value"]["amount"] = "30000.00"
    implementation["milestones"][1]["dueDate"] = "2026-09-15"
    errors = schema_errors(broken)
    assert len(errors) == 3, errors


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_deal_exports_a_valid_package(path: Any) -> None:
    deal = load_example(path.name)
    package = package_on(deal, [], deal.effective)
    assert schema_errors(package) == []
    [release] = package["releases"]
    assert release["ocid"] == DEFAULT_OCID_PREFIX + deal.id
    assert package["version"] == "1.1"
    assert release["initiationType"] == "tender"
    assert {p["id"]: p["roles"][0] for p in release["parties"]} == {
        p.id: {"buyer": "buyer", "supplier": "supplier", "financier": "funder"}[p.role]
        for p in deal.parties
    }
    # nothing has happened yet: every milestone is scheduled and nothing was paid
    assert {m["status"] for m in milestones(package).values()} == {"scheduled"}
    assert contract(package)["implementation"]["transactions"] == []


def test_heat_sensor_housing_with_its_journal_validates() -> None:
    package = package_on(
        load_example("heat-sensor-housing.yaml"), heat_journal(), date(2026, 12, 31)
    )
    assert schema_errors(package) == []
    assert {k: m["status"] for k, m in milestones(package).items()} == {
        "prepaid": "met",
        "design-freeze": "met",
        "prototype-samples": "notMet",
        "production-mould": "scheduled",
        "performance-validation": "scheduled",
        "first-article": "scheduled",
    }
    # what Ridgeline pays for each: 40% of the milestone's share of 185,000
    assert milestones(package)["design-freeze"]["value"] == {"amount": 14800, "currency": "USD"}
    assert milestones(package)["prototype-samples"]["value"] == {
        "amount": 18500,
        "currency": "USD",
    }
    assert package["publishedDate"] == "2027-01-04T09:30:00Z"


def test_design_freeze_goes_from_scheduled_to_met_when_accepted() -> None:
    deal, events = load_example("heat-sensor-housing.yaml"), heat_journal()
    submitted = milestones(package_on(deal, events, date(2026, 9, 17)))["design-freeze"]
    assert submitted["status"] == "scheduled"
    assert "dateMet" not in submitted
    accepted = milestones(package_on(deal, events, date(2026, 9, 18)))["design-freeze"]
    assert accepted["status"] == "met"
    assert accepted["dateMet"] == "2026-09-18T00:00:00Z"
    assert accepted["dueDate"] == "2026-09-15T23:59:59Z"  # met three days late


def test_prototype_samples_go_from_scheduled_to_not_met_when_the_cure_period_passes() -> None:
    deal, events = load_example("heat-sensor-housing.yaml"), heat_journal()
    # rejected on 2026-12-04: within its 20 cure days it is still to be met
    rejected = milestones(package_on(deal, events, date(2026, 12, 23)))["prototype-samples"]
    assert rejected["status"] == "scheduled"
    assert "dateModified" not in rejected
    missed = milestones(package_on(deal, events, date(2026, 12, 24)))["prototype-samples"]
    assert missed["status"] == "notMet"
    assert missed["dateModified"] == "2026-12-24T23:59:59Z"
    assert "dateMet" not in missed


def test_an_exit_leaves_every_unmet_milestone_not_met_and_terminates_the_contract() -> None:
    deal = load_example("heat-sensor-housing.yaml")
    events = [
        *heat_journal(),
        ExitInvoked(at=date(2026, 12, 28), deal=deal.id, trigger="missed-milestone", by="hannah"),
    ]
    package = package_on(deal, events, date(2026, 12, 31))
    assert schema_errors(package) == []
    assert {k: m["status"] for k, m in milestones(package).items()} == {
        "prepaid": "met",
        "design-freeze": "met",
        "prototype-samples": "notMet",  # missed on 2026-12-24, before the exit
        "production-mould": "notMet",
        "performance-validation": "notMet",
        "first-article": "notMet",
    }
    assert milestones(package)["production-mould"]["dateModified"] == "2026-12-28T00:00:00Z"
    assert contract(package)["status"] == "terminated"
    assert "contractTermination" in package["releases"][0]["tag"]


def test_transactions_are_the_confirmed_payments_to_the_cent() -> None:
    deal = load_example("heat-sensor-housing.yaml")
    events = [
        *heat_journal(),
        Payment.model_validate(
            {
                "at": "2026-12-11T16:05:00-08:00",
                "deal": deal.id,
                "from": "ridgeline",
                "to": "kestrel",
                "amount": "1234.56",
                "ref": "WIRE-7",
                "by": "dana",
            }
        ),
        PaymentConfirmed(at=date(2026, 12, 14), deal=deal.id, ref="WIRE-7", by="luis"),
        Payment.model_validate(
            {
                "at": "2026-12-20",
                "deal": deal.id,
                "from": "ridgeline",
                "to": "kestrel",
                "amount": "999.99",
                "ref": "WIRE-8",
                "by": "dana",
            }
        ),  # never confirmed: it does not count
    ]
    package = package_on(deal, events, date(2026, 12, 31))
    assert schema_errors(package) == []
    transactions = contract(package)["implementation"]["transactions"]
    assert [t["id"] for t in transactions] == ["PP-1", "WIRE-7"]
    wire = transactions[1]
    assert wire["date"] == "2026-12-11T16:05:00-08:00"  # as recorded, with its offset
    assert wire["payer"] == {"id": "ridgeline", "name": "Ridgeline Outdoor Co."}
    assert wire["payee"] == {"id": "kestrel", "name": "Kestrel Polymer Works Inc."}
    text = json.dumps(package)
    amounts = [
        Decimal(str(t["value"]["amount"]))
        for t in json.loads(text)["releases"][0]["contracts"][0]["implementation"]["transactions"]
    ]
    state = deal_state(deal, events, on=date(2026, 12, 31))
    assert sum(amounts) == Decimal("31234.56") == state.balances["kestrel"].received.amount


def test_an_approved_change_order_is_an_amendment() -> None:
    deal = load_example("heat-sensor-housing.yaml")
    events = [
        *heat_journal(),
        ChangeProposed(
            at=date(2026, 10, 2),
            deal=deal.id,
            change="extra-cavity",
            amount=Decimal("2500"),
            by="luis",
        ),
        ChangeApproved.model_validate(
            {
                "at": "2026-10-05T10:00:00+00:00",
                "deal": deal.id,
                "change": "extra-cavity",
                "by": "hannah",
            }
        ),
        ChangeProposed(
            at=date(2026, 10, 6),
            deal=deal.id,
            change="later-validation",
            amount=Decimal("1000"),
            by="luis",
        ),  # proposed only: no amendment
    ]
    package = package_on(deal, events, date(2026, 12, 31))
    assert schema_errors(package) == []
    [amendment] = contract(package)["amendments"]
    assert amendment["id"] == "extra-cavity"
    assert amendment["date"] == "2026-10-05T10:00:00Z"
    assert "approved by luis, hannah" in amendment["rationale"]
    assert amendment["description"] == "price +2,500.00 USD"


def test_party_addresses_and_identifiers_are_exported() -> None:
    deal = load_example("heat-sensor-housing.yaml")
    kestrel = deal.parties[1].model_copy(
        update={
            "legal_name": "Kestrel Polymer Works, Inc.",
            "address": Address(
                lines=["4100 NE Columbia Blvd", "Building C"],
                city="Portland",
                postcode="97211",
                region="OR",
                country="US",
            ),
            "tax_id": "93-1234567",
            "registration": "OR-1234567-89",
            "email": "billing@kestrel.example",
        }
    )
    assert isinstance(kestrel, Party)
    deal = deal.model_copy(update={"parties": [deal.parties[0], kestrel]})
    package = package_on(deal, heat_journal(), date(2026, 12, 31))
    assert schema_errors(package) == []
    party = package["releases"][0]["parties"][1]
    assert party["name"] == "Kestrel Polymer Works, Inc."
    assert party["address"] == {
        "streetAddress": "4100 NE Columbia Blvd, Building C",
        "locality": "Portland",
        "region": "OR",
        "postalCode": "97211",
        "countryName": "United States",
    }
    assert party["identifier"] == {
        "legalName": "Kestrel Polymer Works, Inc.",
        "id": "OR-1234567-89",
    }
    assert party["additionalIdentifiers"] == [
        {"scheme": "TAX-ID", "id": "93-1234567", "legalName": "Kestrel Polymer Works, Inc."}
    ]
    assert party["contactPoint"]["email"] == "billing@kestrel.example"
    assert package["releases"][0]["awards"][0]["suppliers"] == [
        {"id": "kestrel", "name": "Kestrel Polymer Works, Inc."}
    ]


@pytest.mark.parametrize(
    ("text", "number"),
    [("88200.00", 88200), ("0.05", 0.05), ("1234.56", 1234.56), ("-12920.00", -12920)],
)
def test_an_amount_is_the_json_number_of_its_decimal(text: str, number: float) -> None:
    written = ocds_number(Money.of(text, "USD"))
    assert written == number
    assert Decimal(json.dumps(written)) == Decimal(text)


def test_an_amount_no_json_number_carries_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be written exactly"):
        ocds_number(Money.of("12345678901234567.89", "USD"))


def test_a_naive_published_moment_is_refused() -> None:
    deal = load_example("heat-sensor-housing.yaml")
    with pytest.raises(ValueError, match="offset"):
        release_package(
            deal, [], deal_state(deal, [], on=deal.effective), published=datetime(2027, 1, 4)
        )


def test_a_deemed_acceptance_is_met_at_the_end_of_its_review_period() -> None:
    """Nobody answers design-freeze's submission of 2026-09-15: after 10 Oregon business days
    it is deemed accepted, met at the end of the last one."""
    deal = load_example("heat-sensor-housing.yaml")
    unanswered = heat_journal()[:4]  # the two signatures, the advance and the submission
    state = deal_state(deal, unanswered, on=date(2026, 10, 31))
    review_until = state.milestones["design-freeze"].review_until
    assert review_until is not None and state.milestones["design-freeze"].deemed
    package = release_package(deal, unanswered, state, published=PUBLISHED)
    assert schema_errors(package) == []
    met = milestones(package)["design-freeze"]
    assert met["status"] == "met"
    assert met["dateMet"] == f"{review_until.isoformat()}T23:59:59Z"


def test_a_vat_id_is_an_additional_identifier_and_the_country_is_named() -> None:
    deal = load_example("seasonal-packaging.yaml")
    supplier = deal.parties[1].model_copy(
        update={
            "vat_id": "NL123456789B01",
            "registration": "KvK 12345678",
            "address": Address(
                lines=["Havenweg 12"], city="Tiel", postcode="4004 JJ", country="NL"
            ),
        }
    )
    deal = deal.model_copy(update={"parties": [deal.parties[0], supplier]})
    package = package_on(deal, [], deal.effective)
    assert schema_errors(package) == []
    party = package["releases"][0]["parties"][1]
    assert party["identifier"]["id"] == "KvK 12345678"
    assert party["additionalIdentifiers"] == [
        {"scheme": "VAT", "id": "NL123456789B01", "legalName": supplier.legal}
    ]
    assert party["address"]["countryName"] == "Netherlands"
