"""The journal's events (DESIGN §4) as frozen values, and their JSON Lines codec.

Every state change of a running deal is one of these, appended to the journal; the state of a
deal on a date is a fold over them (``core/state.py``). An event line reads::

    {"at": "2026-07-20", "type": "submitted", "deal": "hybrid-dc1", "milestone": "design-approval",
     "by": "sam", "evidence": [{"name": "sld.pdf", "sha256": "9f86…", "kind": "drawing"}]}

``at`` is an ISO date or a date-time with an explicit offset (a naive date-time is refused);
amounts are decimal strings (a JSON integer is accepted; a JSON fraction is read exactly, never
as a float). :func:`canonical_json` is the text the journal hashes: sorted keys, no spaces.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from copact.core.diagnostic import Diagnostic, Severity
from copact.core.model import Amount, Slug

__all__ = [
    "Accepted",
    "BonusClaimed",
    "BonusReviewed",
    "ChangeApproved",
    "ChangeProposed",
    "ChangeRejected",
    "ConversionApproved",  # convertible support
    "ConversionRequested",
    "CostRecorded",
    "CostReviewed",
    "CreditNote",
    "DecisionLogged",
    "Event",
    "EvidenceRef",
    "ExitInvoked",
    "ForecastRecorded",  # volume commitment
    "GateDecided",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PaymentConfirmed",
    "PrepaymentInvoice",
    "PurchasesConfirmed",  # volume commitment
    "PurchasesRecorded",
    "Rejected",
    "RiskUpdated",
    "SalesReported",
    "SavingsSettled",
    "ServiceReviewed",
    "ServiceSettled",
    "Signed",
    "SiteSettlement",
    "Submitted",
    "WindowRecorded",
    "WorkClaimed",
    "canonical_json",
    "day_of",
    "dump_event",
    "dumps_events",
    "parse_events",
]


def _instant(value: Any) -> date | datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str) and len(value) == 10:
        return date.fromisoformat(value)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError("`at` must be an ISO date or a date-time with an offset")
    if moment.tzinfo is None:
        raise ValueError("a date-time needs an explicit offset, e.g. 2026-07-20T09:30:00+02:00")
    return moment


Instant = Annotated[date | datetime, BeforeValidator(_instant)]


def day_of(at: date | datetime) -> date:
    """The calendar day of an event, in the offset it was recorded with."""
    return at.date() if isinstance(at, datetime) else at


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    KIND: ClassVar[str]

    at: Instant
    deal: Slug

    @property
    def day(self) -> date:
        at = self.at  # day_of, inlined: the fold and an import ask every event its day
        return at.date() if isinstance(at, datetime) else at


class EvidenceRef(BaseModel):
    """A file attached to a submission, named by its SHA-256 (the name is metadata only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    kind: Slug


class Signed(_Base):
    """People sign the deal for their party; ``version`` is the SHA-256 of the deal text they
    signed (journals from before it was recorded have none). The deal binds once every party
    has signed the same version."""

    KIND = "signed"
    type: Literal["signed"] = "signed"
    by: Annotated[list[Slug], Field(min_length=1)]
    version: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class Payment(_Base):
    KIND = "payment"
    type: Literal["payment"] = "payment"
    from_: Slug = Field(alias="from")
    to: Slug
    amount: Amount
    ref: Annotated[str, Field(min_length=1)]
    for_: str | None = Field(default=None, alias="for")
    by: Slug | None = None
    """The payer's person who recorded it; it counts once the payee confirms it. Journals
    written before confirmations have no ``by``: their payments count as recorded."""


class PaymentConfirmed(_Base):
    """The payee's person confirms that a recorded payment arrived."""

    KIND = "payment-confirmed"
    type: Literal["payment-confirmed"] = "payment-confirmed"
    ref: Annotated[str, Field(min_length=1)]
    by: Slug


class Submitted(_Base):
    KIND = "submitted"
    type: Literal["submitted"] = "submitted"
    milestone: Slug
    evidence: list[EvidenceRef] = []
    by: Slug


class Accepted(_Base):
    KIND = "accepted"
    type: Literal["accepted"] = "accepted"
    milestone: Slug
    by: Slug


class Rejected(_Base):
    KIND = "rejected"
    type: Literal["rejected"] = "rejected"
    milestone: Slug
    by: Slug
    reasons: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class WorkClaimed(_Base):
    KIND = "work-claimed"
    type: Literal["work-claimed"] = "work-claimed"
    amount: Amount
    for_: str = Field(alias="for")
    evidence: list[EvidenceRef] = []
    by: Slug | None = None  # the supplier's person who claims it (none in older journals)


class GateDecided(_Base):
    KIND = "gate"
    type: Literal["gate"] = "gate"
    phase: Slug
    decision: Literal["proceed", "adjust", "pause"]
    by: Annotated[list[Slug], Field(min_length=1)]
    change: Slug | None = None  # the change order an ``adjust`` waits for


class _Change(_Base):
    change: Slug
    amount: Amount | None = None
    """What the change adds to the price: positive, the buyer pays more; negative, less."""
    patch: dict[str, Any] | None = None
    by: Slug


class ChangeProposed(_Change):
    KIND = "change-proposed"
    type: Literal["change-proposed"] = "change-proposed"


class ChangeApproved(_Change):
    KIND = "change-approved"
    type: Literal["change-approved"] = "change-approved"


class ChangeRejected(_Change):
    KIND = "change-rejected"
    type: Literal["change-rejected"] = "change-rejected"


class InvoiceLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    for_: str = Field(alias="for")
    amount: Amount
    evidence: list[str] = []


class Invoice(_Base):
    KIND = "invoice"
    type: Literal["invoice"] = "invoice"
    number: Annotated[str, Field(min_length=1)]
    from_: Slug = Field(alias="from")
    to: Slug
    lines: Annotated[list[InvoiceLine], Field(min_length=1)]
    due: date
    tax: Amount | None = None  # the VAT charged on the lines (EN 16931 BT-110); none: no VAT

    @property
    def net(self) -> Decimal:
        """The lines' sum, before VAT."""
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """What the buyer owes: the lines and the VAT on them."""
        return self.net + (self.tax or Decimal(0))


class PrepaymentInvoice(_Base):
    """The supplier's invoice for the deal's prepaid advance (EN 16931 type 386): what the
    buyer is asked to pay before the work, VAT included. ``amount`` is its net and ``tax`` the
    VAT on it; together they are the advance (``prepaid.amount``), which the advance's
    ``payment for: prepaid`` pays and which later milestone invoices deduct (BT-113). Issued
    once per deal; it bills nothing the milestone invoices do not bill again, so the books
    count the advance, not this invoice."""

    KIND = "prepayment-invoice"
    type: Literal["prepayment-invoice"] = "prepayment-invoice"
    number: Annotated[str, Field(min_length=1)]
    from_: Slug = Field(alias="from")
    to: Slug
    amount: Amount
    tax: Amount | None = None
    due: date

    @property
    def total(self) -> Decimal:
        """The advance asked for: the net and its VAT."""
        return self.amount + (self.tax or Decimal(0))


class CreditNote(_Base):
    """The supplier's credit note (EN 16931 type 381) for money it gives back: for an exit
    (``for: exit``), the refund the exit settlement owes the buyer, VAT inside it as in the
    advance it returns. ``preceding`` is the invoice it corrects (the advance's, when one was
    issued). Like the advance's invoice it is the document of a payment, not a payment: the
    settlement's ``payment for: exit`` moves the money. ``for: true-up`` (a gainshare year's
    true-up below what was billed) and ``for: rebate`` (a volume rebate) name the ``period``
    they settle."""

    KIND = "credit-note"
    type: Literal["credit-note"] = "credit-note"
    number: Annotated[str, Field(min_length=1)]
    from_: Slug = Field(alias="from")
    to: Slug
    for_: Literal["exit", "true-up", "rebate", "revenue-share"] = Field(alias="for")
    period: str | None = None  # the contract year (``2027``) a true-up or a rebate settles
    amount: Amount
    tax: Amount | None = None
    preceding: str | None = None
    due: date

    @property
    def total(self) -> Decimal:
        """What is credited: the net and its VAT."""
        return self.amount + (self.tax or Decimal(0))


class SiteSettlement(BaseModel):
    """One site's part of a settled service period: its share of the fee, the credits the
    metrics earned the buyer, the bonuses they earned the supplier, and what is billed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    site: Slug
    fee: Amount
    credits: Amount
    bonuses: Amount
    amount: Amount


class ServiceSettled(_Base):
    """A period of the SLA settled from metering (``copact meter --record``): per site the fee,
    credits, bonuses and amount, the flags of the run, and ``inputs``, the hash of every input
    it read (telemetry, windows, tickets, deliveries), so the other party can meter the same
    files and get the same figures; the files themselves are its ``evidence``. ``by`` is the
    person who recorded it. A period is settled once; one whose flags ask for review is
    invoiced after a person of the other party has reviewed it (:class:`ServiceReviewed`)."""

    KIND = "service-settled"
    type: Literal["service-settled"] = "service-settled"
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")]
    sites: Annotated[list[SiteSettlement], Field(min_length=1, max_length=100)]
    inputs: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    flags: Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=100)] = []
    by: Slug
    evidence: Annotated[list[EvidenceRef], Field(max_length=100)] = []
    """The input files, kept in the evidence store (kind: telemetry, windows, tickets,
    deliveries), so ``journal verify --evidence`` finds each one and checks its bytes."""

    @property
    def amount(self) -> Decimal:
        """What the period bills: every site's amount."""
        return sum((s.amount for s in self.sites), Decimal(0))


class ServiceReviewed(_Base):
    """A person of the party that did not record a flagged settlement has looked at it and
    lets it be invoiced."""

    KIND = "service-reviewed"
    type: Literal["service-reviewed"] = "service-reviewed"
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")]
    inputs: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    by: Slug


class ExitInvoked(_Base):
    KIND = "exit"
    type: Literal["exit"] = "exit"
    trigger: Literal["missed-milestone", "convenience", "change-of-control", "insolvency"]
    by: Slug


class DecisionLogged(_Base):
    """A decision of the steering group (or any named people) entered in the decision log."""

    KIND = "decision"
    type: Literal["decision"] = "decision"
    decision: Annotated[str, Field(min_length=3)]
    by: Annotated[list[Slug], Field(min_length=1)]
    topic: str | None = None


class WindowRecorded(_Base):
    """A span of one site taken out of the SLA's availability (DESIGN §6.1's windows, as journal
    events): approved maintenance (``planned``) or force majeure and customer-caused outages
    (``excluded``), recorded by the buyer, whose protection it narrows."""

    KIND = "window"
    type: Literal["window"] = "window"
    site: Slug
    start: AwareDatetime
    end: AwareDatetime
    kind: Literal["planned", "excluded"]
    by: Slug
    note: str | None = None


class RiskUpdated(_Base):
    """A risk added to the register or updated: the fields given replace the earlier ones."""

    KIND = "risk"
    type: Literal["risk"] = "risk"
    risk: Slug
    by: Slug
    description: Annotated[str, Field(min_length=3)] | None = None
    likelihood: Literal["low", "medium", "high"] | None = None
    impact: Literal["low", "medium", "high"] | None = None
    owner: Slug | None = None
    mitigation: str | None = None
    status: Literal["open", "mitigated", "realised", "closed"] | None = None


# -- gainshare --


class SavingsSettled(_Base):
    """A gainshare month settled against the locked baseline (``copact baseline --record``):
    the baseline's ``predicted`` use, the ``actual`` use and the savings ``S = predicted −
    actual`` (in the measure's unit, negative in a bad month), the ``baseline`` hash it was
    fitted to (the deal's ``gainshare.baseline.hash``), ``inputs``, the hash of the data files
    read, and the files themselves as ``evidence``. A month is settled once."""

    KIND = "savings-settled"
    type: Literal["savings-settled"] = "savings-settled"
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    predicted: Amount
    actual: Amount
    savings: Amount
    baseline: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    inputs: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    by: Slug
    evidence: Annotated[list[EvidenceRef], Field(max_length=10)] = []


# -- innovation bonus and revenue share --


class BonusClaimed(_Base):
    """The supplier claims an innovation bonus of the deal, with evidence that its condition
    holds (a baseline report, a metering run)."""

    KIND = "bonus-claimed"
    type: Literal["bonus-claimed"] = "bonus-claimed"
    bonus: Slug
    evidence: Annotated[list[EvidenceRef], Field(min_length=1)]
    by: Slug


class BonusReviewed(_Base):
    """The buyer's named person approves a bonus claim (its invoice is issued with it) or
    rejects it with reasons (the supplier may claim again)."""

    KIND = "bonus-reviewed"
    type: Literal["bonus-reviewed"] = "bonus-reviewed"
    bonus: Slug
    decision: Literal["approved", "rejected"]
    reasons: list[Annotated[str, Field(min_length=1)]] = []
    by: Slug


class SalesReported(_Base):
    """The reporting party's sales of a period, on which the revenue share is owed. With
    ``audit``, the share party's audit of a reported period: its sales replace the report's."""

    KIND = "sales-reported"
    type: Literal["sales-reported"] = "sales-reported"
    period: Annotated[str, Field(pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$")]
    sales: Amount
    evidence: list[EvidenceRef] = []
    by: Slug
    audit: bool = False  # a correction found by the share party's audit of the period


# -- cost-plus reimbursement --


class CostRecorded(_Base):
    """A person of the supplier records a cost it incurred in ``period`` (``2027-03``), to be
    reimbursed with the deal's markup: its amount (whole minor units), what it was, and its
    receipts and timesheets as ``evidence`` (every kind ``cost-plus.evidence`` names).
    ``overrun``: it took the committed costs above ``cost-plus.cap`` under ``overruns:
    notify`` (recorded and flagged, not refused)."""

    KIND = "cost-recorded"
    type: Literal["cost-recorded"] = "cost-recorded"
    id: Slug
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    amount: Amount
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    evidence: Annotated[list[EvidenceRef], Field(min_length=1, max_length=50)]
    by: Slug
    overrun: bool = False


class CostReviewed(_Base):
    """A person of the buyer approves a recorded cost (it may then be invoiced) or rejects it
    with reasons; a cost is reviewed once."""

    KIND = "cost-reviewed"
    type: Literal["cost-reviewed"] = "cost-reviewed"
    cost: Slug
    decision: Literal["approved", "rejected"]
    reasons: list[Annotated[str, Field(min_length=1)]] = []
    by: Slug


# -- volume commitment with rebate --

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class PurchasesRecorded(_Base):
    """Purchases under the volume commitment of one month (``2027-03``): the ``quantity`` of
    units delivered, ``amount`` = quantity × ``volume.price`` (half-even to the minor unit),
    and ``ref``, the ERP's call-off or invoice number (used once). The trade itself is billed
    by the parties' ERP; the journal counts it towards the commitment and the rebate once a
    person of the other party confirms it (:class:`PurchasesConfirmed`)."""

    KIND = "purchases-recorded"
    type: Literal["purchases-recorded"] = "purchases-recorded"
    period: Annotated[str, Field(pattern=_MONTH)]
    quantity: Amount
    amount: Amount
    ref: Annotated[str, Field(min_length=1, max_length=100)]
    by: Slug


class PurchasesConfirmed(_Base):
    """A person of the party that did not record them confirms recorded purchases: from now
    on they count towards the contract year's quantity."""

    KIND = "purchases-confirmed"
    type: Literal["purchases-confirmed"] = "purchases-confirmed"
    ref: Annotated[str, Field(min_length=1, max_length=100)]
    by: Slug


class ForecastRecorded(_Base):
    """The buyer's forecast of its purchases: ``quantities`` for consecutive periods from the
    month ``from`` (each a month, a quarter or a year, as ``volume.forecast`` says). The
    latest forecast replaces the earlier ones."""

    KIND = "forecast-recorded"
    type: Literal["forecast-recorded"] = "forecast-recorded"
    from_: Annotated[str, Field(pattern=_MONTH, alias="from")]
    quantities: Annotated[list[Amount], Field(min_length=1, max_length=36)]
    by: Slug


# -- convertible support --


class ConversionRequested(_Base):
    """A person of the buyer (the party holding the support) asks to convert ``amount`` of the
    convertible support it paid at ``window``, one of ``convertible.windows``, inside that
    window (the 30 days up to and including its date); ``conversion`` names the request."""

    KIND = "conversion-requested"
    type: Literal["conversion-requested"] = "conversion-requested"
    conversion: Slug
    window: date
    amount: Amount
    by: Slug


class ConversionApproved(_Base):
    """A person of the supplier approves a conversion request inside its window: the support
    converts, into ``credits`` = amount × the formula's ratio, half-even to the minor unit,
    when it converts to service credits (none when it converts to equity, a discount or cash,
    which are settled outside copact)."""

    KIND = "conversion-approved"
    type: Literal["conversion-approved"] = "conversion-approved"
    conversion: Slug
    credits: Amount | None = None
    by: Slug


Event = Annotated[
    Signed
    | Payment
    | PaymentConfirmed
    | Submitted
    | Accepted
    | Rejected
    | WorkClaimed
    | GateDecided
    | ChangeProposed
    | ChangeApproved
    | ChangeRejected
    | Invoice
    | PrepaymentInvoice
    | CreditNote
    | ServiceSettled
    | ServiceReviewed
    | ExitInvoked
    | DecisionLogged
    | RiskUpdated
    | WindowRecorded
    | BonusClaimed
    | BonusReviewed
    | SalesReported
    | SavingsSettled  # gainshare
    | CostRecorded  # cost-plus
    | CostReviewed  # cost-plus
    | PurchasesRecorded  # volume commitment
    | PurchasesConfirmed
    | ForecastRecorded
    | ConversionRequested  # convertible support
    | ConversionApproved,
    Field(discriminator="type"),
]
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
KINDS = [
    "signed",
    "payment",
    "payment-confirmed",
    "submitted",
    "accepted",
    "rejected",
    "work-claimed",
    "gate",
    "change-proposed",
    "change-approved",
    "change-rejected",
    "invoice",
    "prepayment-invoice",
    "credit-note",
    "service-settled",
    "service-reviewed",
    "exit",
    "decision",
    "risk",
    "window",
    "bonus-claimed",
    "bonus-reviewed",
    "sales-reported",
    "savings-settled",  # gainshare
    "cost-recorded",  # cost-plus
    "cost-reviewed",  # cost-plus
    "purchases-recorded",  # volume commitment
    "purchases-confirmed",
    "forecast-recorded",
    "conversion-requested",  # convertible support
    "conversion-approved",
]


_KINDS = frozenset(KINDS)
_validate = _EVENT.validator.validate_python  # without TypeAdapter's wrapper, per line


def dump_event(event: Event) -> dict[str, Any]:
    """The event as JSON-ready values: amounts as decimal strings, dates ISO, no empty keys."""
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""What ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` makes,
made once: ``json.dumps`` builds a new encoder on every call, and an import calls it per event."""


def canonical_json(event: Event) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the text whose SHA-256 the journal chains."""
    return _CANONICAL.encode(dump_event(event))


def dumps_events(events: Iterable[Event]) -> str:
    """JSON Lines, one canonical event a line, in order."""
    return "".join(canonical_json(e) + "\n" for e in events)


MAX_DEPTH = 100
"""Nested objects and arrays in one event line (a change's patch of a deal needs about 10)."""


def _too_deep(raw: str) -> int | None:
    """The 1-based column of the bracket that opens level ``MAX_DEPTH + 1``, or ``None``.

    Read before ``json.loads``, which recurses per level; the scan only runs on the rare line
    with that many brackets at all."""
    if raw.count("[") + raw.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    in_string = escaped = False
    for column, char in enumerate(raw, start=1):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return column
        elif char in "]}":
            depth -= 1
    return None


_DECODER = json.JSONDecoder(parse_float=Decimal)


def _json_object(raw: str) -> Any:
    """``json.loads(raw, parse_float=Decimal)`` with one decoder for every line (``json.loads``
    builds a new one per call when given ``parse_float``), refusing a BOM as it does. A line
    that is one JSON value and nothing else skips the decoder's two whitespace matches; any
    other goes through ``decode``, which says what ``json.loads`` says of it."""
    if raw.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    try:
        data, end = _DECODER.raw_decode(raw)
    except json.JSONDecodeError:
        end = -1
    return data if end == len(raw) else _DECODER.decode(raw)


def _problem(line: int, message: str, hint: str, code: str = "J002") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, hint, line=line, column=1)


def parse_events(text: str, path: str = "<events>") -> tuple[list[Event], list[Diagnostic]]:
    """Read JSON Lines into events; every bad line is a diagnostic with its line number.

    J001: the line is not a JSON object. J002: the object is not a known event, or a field is
    missing, unknown or malformed. Blank lines are skipped. Never raises.
    """
    events: list[Event] = []
    problems: list[Diagnostic] = []
    # JSON Lines are separated by \n only: str.splitlines() would also split inside a string
    # holding U+0085 or U+2028, which canonical JSON writes as is
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        deep = _too_deep(raw)
        if deep is not None:
            message = f"the line nests deeper than {MAX_DEPTH} levels"
            hint = "an event's values are shallow; this line is not an exported event"
            problems.append(
                _problem(number, message, hint, "J001").at(path=path, line=number, column=deep)
            )
            continue
        try:
            data = _json_object(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            problems.append(
                _problem(number, f"not JSON: {exc}", "one JSON object a line", "J001").at(
                    path=path, line=number, column=getattr(exc, "colno", 1)
                )
            )
            continue
        if not isinstance(data, dict):
            problems.append(_problem(number, "an event is a JSON object", "{...}", "J001"))
            continue
        if data.get("type") not in _KINDS:
            problems.append(
                _problem(
                    number,
                    f"unknown event type {data.get('type')!r}",
                    "one of: " + ", ".join(KINDS),
                )
            )
            continue
        try:
            events.append(_validate(data))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"][1:]) or "event"
            msg = str(first["msg"]).removeprefix("Value error, ")
            problems.append(_problem(number, f"{data['type']} event: {where}: {msg}", _HINT))
    return events, [p.at(path=path, line=p.line, column=p.column) for p in problems]


_HINT = "see DESIGN §4 for the fields of each event type; amounts are decimal strings"
