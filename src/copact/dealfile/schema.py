"""The JSON Schema of deal file format 1, generated from the models in ``core/deal.py``.

The models give the shape; this module adds what an editor shows beside the keys an invoice
needs (the parties' details and the tax rule), since those are easy to fill in wrong: a
description each, and the country code's pattern. Defaults that are quantities are written as
the deal file writes them (``rate: 0%``), so an editor that fills in a default writes a value
the loader accepts.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from copact.core.deal import Deal
from copact.core.quantities import Duration, Percent

__all__ = ["SCHEMA_ID", "deal_schema"]

SCHEMA_ID = "urn:copact:schema:deal:1"

_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Party": {
        "legal-name": "The registered name invoices print, when it differs from `name`.",
        "address": "The postal address invoices print (EN 16931 BG-5 seller, BG-8 buyer).",
        "vat-id": (
            "The VAT identification number with its two-letter prefix, no spaces: DE123456789,"
            " EL… for Greece, XI… for Northern Ireland."
        ),
        "tax-id": "A tax registration that is not a VAT id, e.g. a US EIN or a tax number.",
        "registration": "The company register and number, e.g. HRB 12345 or Companies House.",
        "email": "Where invoices to this party are sent.",
        "payment": "Where this party is paid: an IBAN with its BIC, or an account in words.",
        "invoice-series": (
            "The prefix of this party's invoice numbers: VW-2026- gives VW-2026-0001, …; "
            "without it the deal's own numbers DEAL-001, … are used."
        ),
    },
    "Address": {
        "lines": "One to three lines: street and number, building, floor.",
        "city": "The city or town.",
        "postcode": "The postal code, as a string (leading zeros kept).",
        "region": "A state, province or county where the address needs one.",
        "country": "The ISO 3166-1 alpha-2 country code: DE, NL, GB, US.",
    },
    "PaymentInstructions": {
        "iban": "An IBAN, spaces allowed; its check digits are verified.",
        "bic": "The bank's BIC (SWIFT code), 8 or 11 characters.",
        "account": "An account described in words, e.g. ABA routing and account number.",
    },
    "Tax": {
        "category": (
            "The EN 16931 VAT category of every invoice line: standard (S), zero-rated (Z), "
            "exempt (E), reverse-charge (AE), intra-community (K), export (G), "
            "outside-scope (O)."
        ),
        "rate": "The VAT rate: above 0% for standard, 0% for every other category.",
        "exemption-reason": (
            "Why no VAT is charged, printed on the invoice; required for exempt, "
            "reverse-charge, intra-community, export and outside-scope."
        ),
    },
    "Deal": {
        "tax": "The tax rule of the deal's invoices: one VAT category, rate and reason.",
    },
}

_PATTERNS = {("Address", "country"): r"^[A-Z]{2}$"}


class _DealSchema(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, Percent | Duration):
            return str(dft)
        return super().encode_default(dft)


def _annotate(schema: dict[str, Any]) -> None:
    definitions = {**schema.get("$defs", {}), "Deal": schema}
    for model, keys in _DESCRIPTIONS.items():
        properties = definitions[model]["properties"]
        for key, text in keys.items():
            properties[key]["description"] = text
    for (model, key), pattern in _PATTERNS.items():
        definitions[model]["properties"][key]["pattern"] = pattern


def deal_schema() -> dict[str, Any]:
    schema = Deal.model_json_schema(by_alias=True, mode="validation", schema_generator=_DealSchema)
    _annotate(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "copact deal file, format 1",
        **{k: v for k, v in schema.items() if k != "title"},
    }
