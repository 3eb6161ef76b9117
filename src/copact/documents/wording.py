"""How a deal's values read in its documents: money exactly in the deal's currency
(``USD 88,200.00``, ``JPY 1,000``), percentages as written (``20%``), parties and people by
name, kebab-case values as words (``acme-pays-pro-rata`` is "Acme Hosting LLC pays pro rata")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from copact.core.deal import Deal, Party
from copact.core.mechanisms import BonusTier, CreditTier, Fee
from copact.core.money import Money
from copact.core.quantities import Duration, Percent
from copact.documents.layout import Block, Cell, Document, DocumentKind, Fact, Facts, Section

__all__ = [
    "EVERY",
    "NOT_NAMED",
    "Words",
    "address_lines",
    "bonus_text",
    "credit_text",
    "day_text",
    "document_of",
    "facts_of",
    "money_text",
    "months_text",
    "party_cell",
    "section_of",
    "sections_of",
    "yes_no",
]


def money_text(m: Money) -> str:
    """``USD 88,200.00``: exact, to the currency's minor unit (``JPY 1,000``)."""
    return f"{m.currency.code} {m.quantize().amount:,.{m.currency.digits}f}"


EVERY = {"once": "once", "month": "a month", "quarter": "a quarter", "year": "a year"}
NOT_NAMED = "not named in the deal"


@dataclass(frozen=True)
class Words:
    """Names for the ids of one deal: parties, people, amounts in its currency."""

    deal: Deal

    def money(self, amount: Decimal) -> str:
        return money_text(self.deal.money(amount))

    def fee(self, fee: Fee) -> str:
        return f"{self.money(fee.amount)} {EVERY[fee.every]}"

    def party(self, party_id: str) -> str:
        party = self.deal.party(party_id)
        return party.name if party else party_id

    def parties(self, ids: Iterable[str]) -> str:
        return ", ".join(self.party(i) for i in ids)

    def person(self, person_id: str) -> str:
        person = self.deal.person(person_id)
        if person is None:
            return self.party(person_id)
        return f"{person.name} ({self.party(person.party)})"

    def people(self, ids: Iterable[str]) -> str:
        return ", ".join(self.person(i) for i in ids)

    def party_of(self, person_or_party: str) -> str:
        """The party id of a person (or the id itself when it names a party)."""
        person = self.deal.person(person_or_party)
        return person.party if person else person_or_party

    def phrase(self, text: str) -> str:
        """A kebab-case value read as words: ``acme-pays-pro-rata`` is "Acme Hosting LLC pays
        pro rata"; text with spaces is kept as written."""
        party = self.deal.party(text)
        if party is not None:
            return party.name
        if " " in text or "-" not in text:
            return text
        words = text
        for party in sorted(self.deal.parties, key=lambda p: -len(p.id)):
            words = words.replace(party.id, "\0" + str(self.deal.parties.index(party)) + "\0")
        words = words.replace("-", " ")
        for i, party in enumerate(self.deal.parties):
            words = words.replace(f"\0{i}\0", party.name)
        return words

    def others(self, party_ids: Sequence[str]) -> tuple[str, ...]:
        return tuple(p.id for p in self.deal.parties if p.id not in party_ids)


def day_text(day: dt.date | None) -> str:
    return day.isoformat() if day else "no date set"


def yes_no(flag: bool | None) -> str:
    return "yes" if flag else "no"


def address_lines(party: Party) -> tuple[str, ...]:
    """The postal address as printed: ``Reston, VA 20191, US`` where there is a region,
    ``5038 EA Tilburg, NL`` where there is none."""
    if party.address is None:
        return ()
    a = party.address
    if a.region:
        town = f"{a.city}, {a.region}" + (f" {a.postcode}" if a.postcode else "")
    else:
        town = f"{a.postcode} {a.city}" if a.postcode else a.city
    return (*a.lines, f"{town}, {a.country}")


def party_cell(party: Party) -> tuple[str, ...]:
    ids = [
        f"VAT {party.vat_id}" if party.vat_id else "",
        f"tax id {party.tax_id}" if party.tax_id else "",
        f"reg. {party.registration}" if party.registration else "",
    ]
    extra = "; ".join(x for x in ids if x)
    return tuple(x for x in (party.legal, *address_lines(party), extra, party.email or "") if x)


def _threshold(value: Percent | Duration | Decimal) -> str:
    return str(value)


def credit_text(tier: CreditTier) -> str:
    if tier.below is not None:
        return f"below {_threshold(tier.below)}: {tier.credit} credit"
    assert tier.above is not None
    return f"above {_threshold(tier.above)}: {tier.credit} credit"


def bonus_text(tier: BonusTier) -> str:
    if tier.at_least is not None:
        return f"at least {_threshold(tier.at_least)}: {tier.bonus} bonus"
    assert tier.at_most is not None
    return f"at most {_threshold(tier.at_most)}: {tier.bonus} bonus"


def months_text(months: int | None) -> str:
    return f"{months} months" if months else ""


def facts_of(*pairs: tuple[str, Cell | None]) -> Facts | None:
    """Facts of the pairs that have a value (an empty text or list is no value)."""
    items = tuple(Fact(label, value) for label, value in pairs if value)
    return Facts(items) if items else None


def section_of(title: str, *blocks: Block | None, note: str | None = None) -> Section | None:
    kept = tuple(b for b in blocks if b is not None)
    return Section(title, kept, note) if kept else None


def sections_of(*sections: Section | None) -> tuple[Section, ...]:
    return tuple(s for s in sections if s is not None)


def _subtitle(deal: Deal) -> str:
    structure = deal.structure.value.replace("-", " ")
    return f"{structure[0].upper()}{structure[1:]} · {deal.currency} · effective {deal.effective}"


def document_of(
    kind: DocumentKind, name: str, deal: Deal, version: str | None, sections: tuple[Section, ...]
) -> Document:
    return Document(
        kind=kind,
        name=name,
        deal_id=deal.id,
        title=deal.title,
        subtitle=_subtitle(deal),
        version=version,
        sections=sections,
        landscape=kind == "matrix",
    )
