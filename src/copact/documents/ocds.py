"""A deal as an Open Contracting Data Standard (OCDS 1.1) release package (DESIGN §9).

One release a package, the deal as its journal stands at the end of the state's day: its
parties (roles, addresses, identifiers), the buyer, one award to the suppliers and one contract
whose ``implementation`` carries the milestones and the confirmed payments, and whose
``amendments`` are the approved change orders. Worked on examples/heat-sensor-housing.yaml with
its journal, on 2026-12-31::

    milestone            copact state                      OCDS status   dateMet
    prepaid (payment)    30,000.00 paid 2026-07-15         met           2026-07-15T00:00:00Z
    design-freeze        accepted 2026-09-18               met           2026-09-18T00:00:00Z
    prototype-samples    rejected 12-04, cure to 12-24     notMet        (missed after the cure)
    production-mould     planned                           scheduled
    transactions         PP-1: ridgeline → kestrel 30000

- **Milestones.** Each milestone of the deal is a ``delivery`` milestone; the prepaid advance,
  when the deal has one, a ``payment`` milestone. A milestone is ``met`` once accepted (deemed
  acceptances too) and an advance once paid in full by confirmed payments; ``notMet`` once it
  was missed (rejected and not cured in time) or the deal ended by an exit before it was met;
  ``scheduled`` otherwise (planned, submitted, rejected within its cure period). ``value`` is
  what the buyer pays for it: the milestone's invoice amount (the buyer's funding share of the
  milestone amount), or the advance. (``Milestone.value`` is an OCDS 1.2 field; the 1.1 schema
  admits it as an additional field.) ``dateModified`` is the day the status was reached.
- **Transactions.** Every confirmed payment (a payment recorded by the payer counts once the
  payee confirms it, as in the fold; a payment of an older journal without ``by`` counts as
  recorded), payer and payee as organization references, refunds included.
- **Amendments.** Every approved change order, dated by the approval that completed it.
- **Dates.** OCDS dates are date-times. An event recorded with a time keeps it and its offset;
  a day without a time is given in UTC: 00:00:00Z for something that happened, 23:59:59Z for a
  deadline (a due date, a period's end, a deemed acceptance at the end of its review period).
- **Amounts.** OCDS amounts are JSON numbers. The journal's decimal string (and the deal
  file's) is the source of truth: each amount, as exact as the fold holds it, is written as
  the number whose shortest text is that decimal (``88200.00`` → ``88200``, ``0.05`` →
  ``0.05``); an amount a JSON number cannot carry exactly is refused, never rounded. Read an
  amount back exactly with ``Decimal(str(number))``.
- **Identifiers.** The party's company registration is ``identifier.id``, its VAT id and other
  tax id are ``additionalIdentifiers`` with the schemes ``VAT`` and ``TAX-ID``. These are
  copact's own labels, not org-id.guide codes: the deal file does not say which register issued
  them, so a publisher that knows should map them before publishing.
- **ocid.** ``ocid_prefix + deal id``. ``ocds-copact-`` is a placeholder, not a prefix
  registered with the Open Contracting Partnership: a publisher registers its own and passes it.

Nothing here reads a clock: the state's day, the journal and ``published`` come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from babel import Locale

from copact.core.changes import ChangeState
from copact.core.deal import Deal, Party
from copact.core.events import (
    Accepted,
    ChangeApproved,
    Event,
    Payment,
    Signed,
)
from copact.core.invoicing import invoice_amounts
from copact.core.money import Money
from copact.core.state import DealState, MilestoneState

__all__ = ["DEFAULT_OCID_PREFIX", "OCDS_VERSION", "ocds_number", "release_package"]

OCDS_VERSION = "1.1"
DEFAULT_OCID_PREFIX = "ocds-copact-"
"""A placeholder: a publisher registers its own prefix (``ocds-`` and six characters)."""

_START = time(0, 0, 0, tzinfo=UTC)
_END = time(23, 59, 59, tzinfo=UTC)
_ENGLISH = Locale("en")


def release_package(
    deal: Deal,
    events: Sequence[Event],
    state: DealState,
    *,
    published: datetime,
    ocid_prefix: str = DEFAULT_OCID_PREFIX,
    uri: str | None = None,
    publisher: str | None = None,
) -> dict[str, Any]:
    """The OCDS release package of ``deal`` as ``state`` (folded from ``events``) stands.

    ``published`` (with its offset) is the package's ``publishedDate`` and the release's
    ``date``; ``uri`` defaults to a URN naming the deal and the day, ``publisher`` to the
    buyer's legal name. The release's id is the deal, the day and the number of events folded,
    so the same export repeated is the same release and a later one with more events is new.
    """
    if published.tzinfo is None:
        raise ValueError("published needs an offset (a naive date-time is not a moment)")
    journal = [e for e in events if e.day <= state.on]
    ocid = f"{ocid_prefix}{deal.id}"
    buyer = deal.buyers[0] if deal.buyers else None
    paid = _confirmed(journal, state)
    package: dict[str, Any] = {
        "uri": uri or f"urn:copact:{deal.id}:{state.on.isoformat()}",
        "version": OCDS_VERSION,
        "publishedDate": _moment(published),
        "publisher": {"name": publisher or (buyer.legal if buyer else deal.id)},
        "releases": [_release(deal, journal, state, paid, ocid=ocid, date_=_moment(published))],
    }
    return package


def ocds_number(amount: Money) -> int | float:
    """``amount`` as the JSON number whose shortest text is that very decimal (``88200.00`` →
    ``88200``, ``0.05`` → ``0.05``); ``ValueError`` when no JSON number carries it exactly
    (past 15 significant digits). Nothing is rounded."""
    exact = amount.amount
    if exact == exact.to_integral_value():
        return int(exact)
    number = float(str(exact))
    if Decimal(repr(number)) != exact:
        raise ValueError(f"{exact} cannot be written exactly as an OCDS amount")
    return number


# -- the release -----------------------------------------------------------------------------


def _release(
    deal: Deal,
    journal: list[Event],
    state: DealState,
    paid: list[Payment],
    *,
    ocid: str,
    date_: str,
) -> dict[str, Any]:
    payers = {p.from_ for p in paid}
    payees = {p.to for p in paid}
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{deal.id}-{state.on.isoformat()}-{len(journal)}",
        "date": date_,
        "tag": ["contract", "implementation", *(["contractTermination"] if state.ended else [])],
        "initiationType": "tender",
        "parties": [_party(p, payers=payers, payees=payees) for p in deal.parties],
    }
    if deal.buyers:
        release["buyer"] = _reference(deal, deal.buyers[0].id)
    value = _value(deal, deal.money(deal.value)) if deal.value is not None else None
    period = _period(deal)
    award: dict[str, Any] = {
        "id": f"{deal.id}-award",
        "title": deal.title,
        "status": "active",
        "date": _at_start(deal.effective),
        "suppliers": [_reference(deal, p.id) for p in deal.suppliers],
        "contractPeriod": period,
    }
    contract: dict[str, Any] = {
        "id": deal.id,
        "awardID": award["id"],
        "title": deal.title,
        "status": "terminated" if state.ended else "active",
        "period": period,
    }
    if value is not None:
        award["value"] = contract["value"] = value
    if deal.scope is not None and deal.scope.deliverable:
        contract["description"] = deal.scope.deliverable
    signed = _signed(deal, journal)
    if signed is not None:
        contract["dateSigned"] = signed
    contract["implementation"] = {
        "milestones": _milestones(deal, journal, state, paid),
        "transactions": [_transaction(deal, p) for p in paid],
    }
    approved = [c for c in state.changes.values() if c.status == "approved"]
    if approved:
        contract["amendments"] = [_amendment(deal, journal, c) for c in approved]
    release["awards"] = [award]
    release["contracts"] = [contract]
    return release


def _party(party: Party, *, payers: set[str], payees: set[str]) -> dict[str, Any]:
    roles = {"buyer": ["buyer"], "supplier": ["supplier"], "financier": ["funder"]}[party.role]
    roles += [r for r, who in (("payer", payers), ("payee", payees)) if party.id in who]
    found: dict[str, Any] = {"id": party.id, "name": party.legal, "roles": roles}
    identifier: dict[str, Any] = {"legalName": party.legal}
    if party.registration:
        identifier["id"] = party.registration
    found["identifier"] = identifier
    others = [
        {"scheme": scheme, "id": value, "legalName": party.legal}
        for scheme, value in (("VAT", party.vat_id), ("TAX-ID", party.tax_id))
        if value
    ]
    if others:
        found["additionalIdentifiers"] = others
    if party.address is not None:
        a = party.address
        address = {
            "streetAddress": ", ".join(str(line) for line in a.lines),
            "locality": str(a.city),
            "region": a.region,
            "postalCode": a.postcode,
            "countryName": _ENGLISH.territories.get(a.country, a.country),
        }
        found["address"] = {k: v for k, v in address.items() if v}
    if party.email:
        found["contactPoint"] = {"name": party.legal, "email": party.email}
    return found


def _reference(deal: Deal, party_id: str) -> dict[str, str]:
    party = deal.party(party_id)
    return {"id": party_id, "name": party.legal if party is not None else party_id}


def _value(deal: Deal, amount: Money) -> dict[str, Any]:
    return {"amount": ocds_number(amount), "currency": deal.currency}


def _period(deal: Deal) -> dict[str, str]:
    timeline = deal.scope.timeline if deal.scope is not None else None
    if timeline is not None:
        return {"startDate": _at_start(timeline.start), "endDate": _at_end(timeline.end)}
    return {"startDate": _at_start(deal.effective)}


# -- milestones ------------------------------------------------------------------------------


def _milestones(
    deal: Deal, journal: list[Event], state: DealState, paid: list[Payment]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if deal.prepaid is not None:
        found.append(_advance(deal, state, paid))
    # the acceptance the fold took: the milestone's accepted event of its acceptance day
    accepted: dict[tuple[str, date | None], date | datetime] = {
        (e.milestone, e.day): e.at for e in journal if isinstance(e, Accepted)
    }
    amounts = invoice_amounts(deal)
    for spec in deal.milestones:
        ms = state.milestones[spec.id]
        item: dict[str, Any] = {"id": spec.id, "title": spec.description or spec.id}
        criteria = spec.acceptance.criteria if spec.acceptance else []
        if criteria:
            item["description"] = "; ".join(str(c) for c in criteria)
        item["type"] = "delivery"
        if spec.due is not None:
            item["dueDate"] = _at_end(spec.due)
        item.update(_status(ms, state, accepted.get((spec.id, ms.accepted_on))))
        item["value"] = _value(deal, amounts[spec.id])
        found.append(item)
    return found


def _status(
    ms: MilestoneState, state: DealState, accepted_at: date | datetime | None
) -> dict[str, str]:
    """met / notMet / scheduled, with the moment the status was reached."""
    if ms.state == "accepted" and ms.accepted_on is not None:
        # deemed accepted: at the end of the review period's last day
        at = None if ms.deemed else accepted_at
        met = _at_end(ms.accepted_on) if at is None else _moment(at)
        return {"status": "met", "dateMet": met, "dateModified": met}
    if ms.state == "missed" and ms.cure_until is not None:
        return {"status": "notMet", "dateModified": _at_end(ms.cure_until)}
    if state.ended and state.exit_effective is not None:
        return {"status": "notMet", "dateModified": _at_start(state.exit_effective)}
    return {"status": "scheduled"}


def _advance(deal: Deal, state: DealState, paid: list[Payment]) -> dict[str, Any]:
    """The prepaid advance as a payment milestone: met once paid in full."""
    assert deal.prepaid is not None
    amount = deal.money(deal.prepaid.amount)
    item: dict[str, Any] = {
        "id": "prepaid",
        "title": "Prepaid advance",
        "type": "payment",
    }
    if deal.prepaid.due is not None:
        item["dueDate"] = _at_end(deal.prepaid.due)
    book = state.book
    met_on: str | None = None
    running = Money.zero(deal.currency)
    for p in paid:  # the confirmed payment that completed the advance
        if p.for_ == "prepaid" and p.from_ == book.buyer and p.to == book.advance_payee:
            running = running + deal.money(p.amount)
            if running >= amount:
                met_on = _moment(p.at)
                break
    if met_on is not None and book.advance_paid >= amount:
        item.update(status="met", dateMet=met_on, dateModified=met_on)
    elif state.ended and state.exit_effective is not None:
        item.update(status="notMet", dateModified=_at_start(state.exit_effective))
    else:
        item["status"] = "scheduled"
    item["value"] = _value(deal, amount)
    return item


# -- money and amendments --------------------------------------------------------------------


def _confirmed(journal: Iterable[Event], state: DealState) -> list[Payment]:
    """The payments that count, in journal order: confirmed ones, and older ones without
    ``by`` (counted as recorded)."""
    return [
        e
        for e in journal
        if isinstance(e, Payment) and (e.by is None or e.ref in state.confirmed_by)
    ]


def _transaction(deal: Deal, payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.ref,
        "date": _moment(payment.at),
        "value": _value(deal, deal.money(payment.amount)),
        "payer": _reference(deal, payment.from_),
        "payee": _reference(deal, payment.to),
    }


def _amendment(deal: Deal, journal: list[Event], change: ChangeState) -> dict[str, Any]:
    approvals = [e for e in journal if isinstance(e, ChangeApproved) and e.change == change.id]
    last = approvals[-1].at if approvals else change.decided_on or change.proposed_on
    who = ", ".join(change.approvals)
    rationale = (
        f"Change order {change.id}, proposed by {change.proposed_by} on {change.proposed_on}, "
        f"approved by {who} under the deal's change control"
    )
    parts = []
    if change.amount is not None:
        sign = "+" if change.amount >= 0 else "−"
        parts.append(f"price {sign}{abs(change.amount):,.2f} {deal.currency}")
    if change.patch:
        parts.append(f"the deal file's {', '.join(sorted(change.patch))} amended")
    return {
        "id": change.id,
        "date": _moment(last),
        "rationale": rationale,
        "description": "; ".join(parts) or "no change of price or terms",
    }


def _signed(deal: Deal, journal: list[Event]) -> str | None:
    """The moment the last party signed, once every party has."""
    parties = {p.id for p in deal.parties}
    signed: set[str] = set()
    for e in journal:
        if isinstance(e, Signed):
            for person_id in e.by:
                person = deal.person(person_id)
                signed.add(person.party if person is not None else person_id)
            if parties <= signed:
                return _moment(e.at)
    return None


# -- dates -----------------------------------------------------------------------------------


def _moment(at: date | datetime) -> str:
    """An event's moment: its own date-time (UTC written ``Z``), or its day at 00:00:00Z."""
    if isinstance(at, datetime):
        return at.isoformat().replace("+00:00", "Z")
    return _at_start(at)


def _at_start(day: date) -> str:
    return datetime.combine(day, _START).isoformat().replace("+00:00", "Z")


def _at_end(day: date) -> str:
    return datetime.combine(day, _END).isoformat().replace("+00:00", "Z")
