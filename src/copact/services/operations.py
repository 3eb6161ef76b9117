"""The commands of a running deal, each defined once: its fields (bounded at the door), the
web access it needs, the events it causes and its guard. One function, :func:`execute`, runs
any of them: it folds the journal at ``clock()``, checks the guard on exactly the state it
appends to, and appends what happens in one transaction (``UnitOfWork.execute``)::

    execute(Accept(deal="hybrid-dc1", milestone="design-approval", by="ana", key="k-17"),
            uow=workspace, clock=clock)
    → Outcome(events=[Accepted(...), Invoice(number="hybrid-dc1-001", ...)], seqs=[7, 8])

Every edge is derived from these classes: the JSON API's request body is the command less
its ``deal``, ``key``, path fields and actor (:meth:`Command.body`), the web page posts the
same fields, the command line's options are checked against them by a test, and an imported
journal's event is checked by the guard of the command that makes it (:func:`admit`).

Deemed acceptances and missed milestones are never written by a job: they follow from the
clock when the state is folded. :class:`IssueInvoices` bills the deemed ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    create_model,
)

from copact.core import commands as core
from copact.core.bonus import claim_bonus, invoice_bonus, review_bonus
from copact.core.changes import approve_change, propose_change, reject_change
from copact.core.convertible import approve_conversion, request_conversion
from copact.core.costplus import invoice_costs, record_cost, review_cost
from copact.core.deal import Deal
from copact.core.events import (
    Accepted,
    BonusClaimed,
    BonusReviewed,
    ChangeApproved,
    ChangeProposed,
    ChangeRejected,
    ConversionApproved,  # convertible support
    ConversionRequested,
    CostRecorded,
    CostReviewed,
    CreditNote,
    DecisionLogged,
    Event,
    EvidenceRef,
    ExitInvoked,
    ForecastRecorded,  # volume commitment
    GateDecided,
    Invoice,
    Payment,
    PaymentConfirmed,
    PrepaymentInvoice,
    PurchasesConfirmed,  # volume commitment
    PurchasesRecorded,
    Rejected,
    RiskUpdated,
    SalesReported,
    SavingsSettled,
    ServiceReviewed,
    ServiceSettled,
    Signed,
    SiteSettlement,
    Submitted,
    WindowRecorded,
    WorkClaimed,
)
from copact.core.gainshare_periods import (
    credit_true_up,
    invoice_gainshare,
    settle_savings,
    true_up,
)
from copact.core.invoicing import (
    advance_payee,
    invoice_amounts,
    mechanism_line,
    only_supplier,
    payee_of,
    vat_on,
)
from copact.core.money import read_amount
from copact.core.revenue import credit_revenue, invoice_revenue, report_sales
from copact.core.service import invoice_service, review_service, settle_service
from copact.core.settlement import (
    credit_exit_refund,
    ended_reason,
    exit_refund_left,
    invoke_exit,
    refuse_after_exit,
    settlement_of,
)
from copact.core.state import DealState, deal_state
from copact.core.volume import (  # volume commitment
    confirm_purchases,
    credit_rebate,
    invoice_shortfall,
    record_forecast,
    record_purchases,
    true_up_volume,
)
from copact.errors import InvalidCommand, NothingToDo, RefusedCommand, UnknownName
from copact.services.amendment import guard_amendment
from copact.services.uow import Outcome, UnitOfWork
from copact.store.journal import version_sha

__all__ = [
    "BUILT",
    "COMMANDS",
    "Accept",
    "ApproveChange",
    "ApproveConversion",  # convertible support
    "ClaimWork",
    "Command",
    "ConfirmPayment",
    "ConfirmPurchases",  # volume commitment
    "CreditExitRefund",
    "DecideGate",
    "Facts",
    "IssueAdvanceInvoice",
    "IssueCostInvoice",
    "IssueGainshareInvoice",
    "IssueInvoices",
    "IssueServiceInvoice",
    "LogDecision",
    "ProposeChange",
    "RecordCost",
    "RecordForecast",  # volume commitment
    "RecordPayment",
    "RecordPurchases",  # volume commitment
    "RecordWindow",
    "Reject",
    "RejectChange",
    "RequestConversion",  # convertible support
    "ReviewCost",
    "ReviewServicePeriod",
    "SettleSavings",
    "SettleServicePeriod",
    "Submit",
    "TriggerExit",
    "TrueUpGainshare",
    "TrueUpVolume",  # volume commitment
    "UpdateRisk",
    "admit",
    "execute",
]

Clock = Callable[[], datetime]

# -- the values a command may carry (the door's bounds) --


def _no_float(value: Any) -> Any:
    if isinstance(value, (float, bool)):
        raise ValueError("an amount is a decimal string like 12000.00, never a float")
    if isinstance(value, str):
        return read_amount(value)
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(max_digits=18, decimal_places=6, allow_inf_nan=False),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$", "examples": ["12000.00"]}
    ),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Line = Annotated[str, Field(min_length=1, max_length=2000)]
_REF = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f.][^\x00-\x1f\x7f-\x9f]*$"


def _plain_ref(ref: str) -> str:
    """A reference is written by a person (``INV/2026/7``): no control characters, and not
    dots only, which a browser resolves as ``.`` or ``..`` in the confirm button's URL even
    when encoded, so that button would act on another record."""
    if not re.match(_REF, ref):
        raise ValueError("a reference holds no control characters and is not dots only")
    return ref


Ref = Annotated[
    str,
    Field(min_length=1, max_length=100, json_schema_extra={"pattern": _REF}),
    AfterValidator(_plain_ref),
]
Instant = Annotated[
    str, Field(min_length=10, max_length=40, examples=["2027-03-14T02:00:00-04:00"])
]


@dataclass(frozen=True)
class Facts:
    """What a guard needs from outside the journal, read before the command runs: the evidence
    records its hashes name (as the acting party holds them) and the deal text it amends.
    ``imported``: the event was read from a journal, so fields older journals lack are taken
    as they are."""

    evidence: tuple[EvidenceRef, ...] = ()  # one per hash the command names, in its order
    deal_text: str | None = None
    imported: bool = False


@dataclass(frozen=True)
class Context:
    """What a command's guard decides on: the deal, its state and journal when the command
    runs, the moment, and the facts read for it."""

    deal: Deal
    state: DealState
    history: list[Event]
    at: datetime | date
    facts: Facts = Facts()


Guard = Callable[..., Sequence[Event]]
"""A core guard: ``(deal, state, *, at, …) → the events it causes`` or a refusal."""


class Command(BaseModel):
    """A request to change one deal. Subclasses declare their fields; the web access
    ``action`` they need and the ``roles`` that have it; the events they may cause
    (``causes``); their JSON API route (``api``, ``None`` for a command of the command line
    only), whose ``{names}`` are the fields it takes from the URL; and the field that names the
    acting person (``actor``: on the web, always the signed-in user's person)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    deal: Slug
    key: Annotated[str | None, Field(max_length=300)] = None

    action: ClassVar[str]
    roles: ClassVar[frozenset[str]]  # the web roles that may send it (within their own deal)
    causes: ClassVar[tuple[type[Event], ...]]
    api: ClassVar[str | None] = None  # its JSON API route under /api/v1/deals/{deal}/
    actor: ClassVar[str | None] = "by"
    needs_text: ClassVar[bool] = False  # the guard reads the deal text (an amendment)

    def __init__(self, **fields: Any) -> None:
        """The command from loose values (a form, the command line, a test), or
        :class:`InvalidCommand` naming the first field that is wrong."""
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]).replace("for_", "for") or "value"
            raise InvalidCommand(f"{where}: {first['msg']}") from None

    @classmethod
    def path(cls) -> tuple[str, ...]:
        """The fields its API route takes from the URL: ``{milestone}`` of
        ``milestones/{milestone}/accept``."""
        return tuple(re.findall(r"{(\w+)", cls.api or ""))

    @classmethod
    def body(cls) -> type[BaseModel]:
        """The API request body: the fields that are neither the deal, the key, in the path nor
        the actor. Made once per class."""
        made = cls.__dict__.get("_body")
        if made is None:
            skip = {"deal", "key", cls.actor, *cls.path()}
            fields: dict[str, Any] = {
                name: (info.annotation, info)
                for name, info in cls.model_fields.items()
                if name not in skip
            }
            made = create_model(
                f"{cls.__name__}In",
                __config__=ConfigDict(extra="forbid", populate_by_name=True),
                __doc__=cls.__doc__,
                **fields,
            )
            setattr(cls, "_body", made)  # noqa: B010 (a class attribute, not a field)
        return made

    @classmethod
    def acted_by(cls, person: str) -> dict[str, Any]:
        """The actor field set to ``person`` (a one-person tuple where the field takes many)."""
        if cls.actor is None:
            return {}
        many = get_origin(cls.model_fields[cls.actor].annotation) is tuple
        return {cls.actor: (person,) if many else person}

    @classmethod
    def from_event(cls, event: Event) -> Self:
        """The command that would have made ``event`` (an imported journal's line), taken as
        read: the event was validated when it was parsed. Built as ``model_construct`` builds
        it, without its per-call walk over every field and its defaults (an import makes one
        per line: most of the cost of admitting a line was here)."""
        fields = cls.fields_of(event)
        command = cls.__new__(cls)
        object.__setattr__(command, "__dict__", {**_defaults(cls), **fields})
        object.__setattr__(command, "__pydantic_fields_set__", set(fields))
        object.__setattr__(command, "__pydantic_extra__", None)
        object.__setattr__(command, "__pydantic_private__", None)
        return command

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        """The command's fields in ``event``: those of the same name, unless a command says
        otherwise."""
        given = event.__dict__  # a frozen model's fields, as they were validated
        fields = {n: given[n] for n in _shared(cls, type(event))}
        if "evidence" in fields:  # the event names its files; the command, their hashes
            fields["evidence"] = tuple(r.sha256 for r in fields["evidence"])
        return fields

    def evidence_hashes(self) -> tuple[str, ...]:
        """The evidence files the command names (its ``evidence`` field, where it has one),
        looked up in the workspace before its guard runs."""
        return tuple(getattr(self, "evidence", ()))

    def request(self) -> dict[str, Any]:
        """What the idempotency key is bound to: the command and its fields, not the key."""
        return {"command": type(self).__name__, **self.model_dump(exclude={"key"})}

    guard: ClassVar[Guard | None] = None
    """The core guard a command that is no more than its guard calls: ``guard(deal, state, *,
    at, FIELD=…)``, its fields as keyword arguments (a tuple as a list, and the evidence as the
    files the workspace found for the hashes); a command that does more spells its own
    :meth:`decide`. ``tests/services/test_command_guards.py`` holds each to its guard's
    parameters."""
    fixed: ClassVar[Mapping[str, Any]] = {}
    """Keyword arguments every call of :attr:`guard` passes besides the fields."""

    def decide(self, c: Context) -> Sequence[Event]:
        """The guard, on the deal's state when the command runs: the events it causes, or
        :class:`RefusedCommand` saying why not."""
        guard = type(self).guard
        if guard is None:
            raise NotImplementedError(f"{type(self).__name__} names no guard and no decide")
        args = {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in self.__dict__.items()
            if name not in ("deal", "key")
        }
        if "evidence" in args:  # the hashes, found in the workspace: the files they name
            args["evidence"] = list(c.facts.evidence)
        return guard(c.deal, c.state, at=c.at, **self.fixed, **args)


# -- the deal --


class Sign(Command):
    """A person signs the deal as it stands today (its version's SHA-256 is recorded with the
    signature) for their party, once per party and version; the deal binds once every party
    has signed the same version. Example: `copact sign hybrid-dc1 --by ana`"""

    action: ClassVar[str] = "deal.sign"
    roles: ClassVar[frozenset[str]] = frozenset({"owner"})
    api: ClassVar[str | None] = "sign"
    causes: ClassVar[tuple[type[Event], ...]] = (Signed,)
    needs_text: ClassVar[bool] = True  # the version signed is the text's SHA-256
    by: Annotated[Slug, Field(description="The person signing, for their own party.")]

    def decide(self, c: Context) -> Sequence[Event]:
        text = c.facts.deal_text
        version = version_sha(text) if text is not None else None
        return core.sign(c.deal, c.state, by=self.by, at=c.at, version=version)


# -- milestones --


class Submit(Command):
    """The payee submits a milestone with evidence files already in the workspace."""

    action: ClassVar[str] = "milestone.submit"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "account", "engineer"})
    api: ClassVar[str | None] = "milestones/{milestone}/submit"
    causes: ClassVar[tuple[type[Event], ...]] = (Submitted,)
    milestone: Annotated[
        Slug, Field(description="The milestone's id in the deal file, e.g. design-approval.")
    ]
    by: Annotated[
        Slug, Field(description="A person of the milestone's payee (the supplier that bills it).")
    ]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(
            max_length=50, description="The SHA-256 of each evidence file (`copact evidence add`)."
        ),
    ] = ()

    def decide(self, c: Context) -> Sequence[Event]:
        refs = list(c.facts.evidence)
        return core.submit(
            c.deal, c.state, milestone=self.milestone, evidence=refs, by=self.by, at=c.at
        )


class Accept(Command):
    """The sign-off person accepts a submitted milestone; its invoice is issued with it, in the
    same transaction, so two concurrent acceptances give one acceptance and one invoice."""

    action: ClassVar[str] = "milestone.review"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "acceptor"})
    api: ClassVar[str | None] = "milestones/{milestone}/accept"
    causes: ClassVar[tuple[type[Event], ...]] = (Accepted, Invoice)
    milestone: Annotated[
        Slug, Field(description="The submitted milestone's id, e.g. design-approval.")
    ]
    by: Annotated[
        Slug,
        Field(description="The milestone's sign-off person (acceptance.signoff in the deal file)."),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        accepted = core.accept(c.deal, c.state, milestone=self.milestone, by=self.by, at=c.at)
        # the state with the acceptance applied as the fold applies it (the guard has made
        # sure the milestone was submitted), without folding the journal again
        ms = c.state.milestones[self.milestone]
        now = replace(ms, state="accepted", accepted_on=_day(c.at), deemed=False)
        after = replace(c.state, milestones={**c.state.milestones, self.milestone: now})
        return [*accepted, *_invoice_if_due(c.deal, after, self.milestone, c.at, 0)]


class Reject(Command):
    """The sign-off person rejects a submitted milestone, with reasons; the cure period starts."""

    action: ClassVar[str] = "milestone.review"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "acceptor"})
    api: ClassVar[str | None] = "milestones/{milestone}/reject"
    causes: ClassVar[tuple[type[Event], ...]] = (Rejected,)
    milestone: Annotated[
        Slug, Field(description="The submitted milestone's id, e.g. design-approval.")
    ]
    by: Annotated[
        Slug,
        Field(description="The milestone's sign-off person (acceptance.signoff in the deal file)."),
    ]
    reasons: Annotated[
        tuple[Line, ...],
        Field(
            min_length=1,
            max_length=20,
            description="Why it is rejected, one reason each (at least one).",
        ),
    ]

    guard: ClassVar[Guard | None] = core.reject


class IssueInvoices(Command):
    """Invoice every accepted milestone (deemed acceptances included) not yet invoiced:
    nobody has to remember the deemed ones, they follow from the clock."""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "invoices"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice,)
    actor: ClassVar[str | None] = None

    def decide(self, c: Context) -> Sequence[Event]:
        issued: list[Event] = []
        for ms in c.state.milestones.values():
            if ms.state == "accepted" and not ms.invoiced:
                issued += _invoice_if_due(c.deal, c.state, ms.id, c.at, len(issued))
        if not issued:
            raise NothingToDo("every accepted milestone is already invoiced")
        return issued


class IssueAdvanceInvoice(Command):
    """Invoice the deal's prepaid advance (a prepayment invoice, EN 16931 type 386): net and
    VAT adding up to the advance, numbered in the supplier's series, once. Later milestone
    invoices deduct what the advance paid of them. Example: `copact issue-advance-invoice
    heat-sensor-housing`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "invoices/advance"
    causes: ClassVar[tuple[type[Event], ...]] = (PrepaymentInvoice,)
    actor: ClassVar[str | None] = None

    def decide(self, c: Context) -> Sequence[Event]:
        if c.deal.prepaid is not None and c.state.prepayment is not None:
            raise NothingToDo(
                f"the prepaid advance is already invoiced ({c.state.prepayment.number})"
            )
        payee = advance_payee(c.deal) if c.deal.prepaid is not None else ""
        number = _next_number(c.deal, c.state, payee)
        return core.invoice_advance(c.deal, c.state, number=number, at=c.at)


class CreditExitRefund(Command):
    """Issue the credit note (EN 16931 type 381) of the refund an exit settlement owes the
    buyer, once the exit has taken effect: numbered in the supplier's series, VAT inside the
    refund as in the advance it returns, correcting the advance's invoice if there is one.
    The refund itself is then paid `for: exit`. If a payment made before the exit is confirmed
    after the note and raises the refund, a second note credits what it rose by. Example:
    `copact credit-exit-refund heat-sensor-housing`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "invoices/exit-credit-note"
    causes: ClassVar[tuple[type[Event], ...]] = (CreditNote,)
    actor: ClassVar[str | None] = None

    def decide(self, c: Context) -> Sequence[Event]:
        settlement = settlement_of(c.deal, c.history, state=c.state) if c.state.ended else None
        left = exit_refund_left(c.deal, c.state, settlement) if settlement else None
        done = [n.number for n in c.state.credit_notes if n.for_ == "exit"]
        if done and left is not None and left.is_zero:  # else the refund rose: its supplement
            raise NothingToDo(f"the exit refund is already credited ({', '.join(done)})")
        supplier = settlement.owed_from if settlement is not None else ""
        number = _next_number(c.deal, c.state, supplier)
        return credit_exit_refund(c.deal, c.history, c.state, number=number, at=c.at)


# -- a managed service's periods --


class SettleServicePeriod(Command):
    """Record the settlement of an SLA period as metered: per site the fee, credits, bonuses
    and amount, the run's flags and the hash of its inputs. Built by the metering use case
    (`copact meter --record`) from what it computed, never typed in."""

    action: ClassVar[str] = "service.settle"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "finance", "billing"})
    api: ClassVar[str | None] = None
    causes: ClassVar[tuple[type[Event], ...]] = (ServiceSettled,)
    period: Annotated[
        str,
        Field(
            pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
            description="The SLA period: a month (2027-03) or a quarter (2027-Q1).",
        ),
    ]
    sites: Annotated[
        tuple[SiteSettlement, ...],
        Field(
            min_length=1,
            max_length=100,
            description="Per SLA site as metered: its fee, credits, bonuses and amount billed.",
        ),
    ]
    inputs: Annotated[
        str,
        Field(
            pattern=r"^sha256:[0-9a-f]{64}$",
            description="The hash of the metering run's inputs: sha256: and 64 hex digits.",
        ),
    ]
    flags: Annotated[
        tuple[Annotated[str, Field(max_length=500)], ...],
        Field(
            max_length=100,
            description="What the run flagged (a flagged period is reviewed before billing).",
        ),
    ] = ()
    by: Annotated[Slug, Field(description="The person recording it: a person id of the deal file.")]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(
            max_length=100,
            description="The SHA-256 of each input file the run read (telemetry, windows).",
        ),
    ] = ()  # the input files

    guard: ClassVar[Guard | None] = settle_service


class ReviewServicePeriod(Command):
    """Review a settled SLA period whose flags ask for it (telemetry unknown for more than 10%
    of it, a metric with no value), so it can be invoiced: a person of the party other than
    the one who recorded it. Example: `copact review-service-period hybrid-dc1 2027-03 --by ana`"""

    action: ClassVar[str] = "service.review"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "finance"})
    api: ClassVar[str | None] = "service-periods/{period}/review"
    causes: ClassVar[tuple[type[Event], ...]] = (ServiceReviewed,)
    period: Annotated[
        str,
        Field(
            pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
            description="The settled SLA period: a month (2027-03) or a quarter (2027-Q1).",
        ),
    ]
    by: Annotated[
        Slug,
        Field(description="A person of the party other than the one that recorded the settlement."),
    ]

    guard: ClassVar[Guard | None] = review_service


class IssueServiceInvoice(Command):
    """Invoice a settled SLA period (fee less credits plus bonuses, a line per site), once, in
    the supplier's series. Example: `copact issue-service-invoice hybrid-dc1 2027-03`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "service-periods/{period}/invoice"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice,)
    actor: ClassVar[str | None] = None
    period: Annotated[
        str,
        Field(
            pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
            description="The settled SLA period to invoice: 2027-03 or 2027-Q1.",
        ),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        suppliers = c.deal.suppliers
        payee = suppliers[0].id if len(suppliers) == 1 else ""
        number = _next_number(c.deal, c.state, payee)
        return invoice_service(c.deal, c.state, period=self.period, number=number, at=c.at)


# -- innovation bonuses and revenue share --

Period = Annotated[str, Field(pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$")]


class ClaimBonus(Command):
    """The supplier claims an innovation bonus with evidence (files already in the workspace)
    that its condition holds. Example: `copact claim-bonus DEAL performance-bonus --evidence
    SHA256 --by account-lead`"""

    action: ClassVar[str] = "bonus.claim"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "account", "engineer"})
    api: ClassVar[str | None] = "bonuses/{bonus}/claim"
    causes: ClassVar[tuple[type[Event], ...]] = (BonusClaimed,)
    bonus: Annotated[
        Slug,
        Field(description="The innovation bonus's id in the deal file, e.g. performance-bonus."),
    ]
    by: Annotated[Slug, Field(description="The supplier's person claiming it.")]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(
            min_length=1,
            max_length=50,
            description="The SHA-256 of each evidence file (`copact evidence add`).",
        ),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        refs = list(c.facts.evidence)
        return claim_bonus(c.deal, c.state, bonus=self.bonus, evidence=refs, by=self.by, at=c.at)


class ReviewBonus(Command):
    """The buyer's sign-off person approves a bonus claim (its invoice is issued with the
    approval, in the same transaction) or rejects it with reasons. Example: `copact
    review-bonus DEAL performance-bonus --decision approved --by owner`"""

    action: ClassVar[str] = "bonus.review"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "acceptor"})
    api: ClassVar[str | None] = "bonuses/{bonus}/review"
    causes: ClassVar[tuple[type[Event], ...]] = (BonusReviewed, Invoice)
    bonus: Annotated[Slug, Field(description="The claimed bonus's id, e.g. performance-bonus.")]
    decision: Annotated[
        Literal["approved", "rejected"], Field(description="approved (invoices it) or rejected.")
    ]
    reasons: Annotated[
        tuple[Line, ...], Field(max_length=20, description="Why it is rejected, one each.")
    ] = ()
    by: Annotated[Slug, Field(description="The bonus's sign-off (a person of the buyer).")]

    def decide(self, c: Context) -> Sequence[Event]:
        reviewed = review_bonus(
            c.deal,
            c.state,
            bonus=self.bonus,
            decision=self.decision,
            reasons=list(self.reasons),
            by=self.by,
            at=c.at,
        )
        if self.decision != "approved":
            return reviewed
        standing = replace(c.state.bonuses[self.bonus], status="approved")
        after = replace(c.state, bonuses={**c.state.bonuses, self.bonus: standing})
        number = _next_number(c.deal, c.state, only_supplier(c.deal, f"bonus {self.bonus}"))
        invoiced = invoice_bonus(c.deal, after, period=self.bonus, number=number, at=c.at)
        return [*reviewed, *invoiced]

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        fields = dict(super().fields_of(event))
        fields["reasons"] = tuple(fields.get("reasons") or ())
        return fields


class ReportSales(Command):
    """The reporting party reports a period's sales (monthly 2027-03, quarterly 2027-Q1 or
    annual 2027, as the revenue share says). Example: `copact report-sales DEAL --period
    2027-Q1 --sales 412000.00 --by finance`"""

    action: ClassVar[str] = "sales.report"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "account"})
    api: ClassVar[str | None] = "sales-reports"
    causes: ClassVar[tuple[type[Event], ...]] = (SalesReported,)
    period: Annotated[Period, Field(description="2027-03, 2027-Q1 or 2027, as reported.")]
    sales: Annotated[Amount, Field(description="The period's sales, e.g. 412000.00.")]
    by: Annotated[Slug, Field(description="The reporting party's person.")]
    evidence: Annotated[
        tuple[Sha256, ...], Field(max_length=50, description="SHA-256 of a sales report file.")
    ] = ()

    guard: ClassVar[Guard | None] = report_sales


class AuditSales(ReportSales):
    """The share party, under the deal's audit right, records the audited sales of a reported
    period with the audit report as evidence; the difference is then invoiced or credited.
    Example: `copact audit-sales DEAL 2027-Q1 --sales 436500.00 --evidence SHA256 --by
    account-lead`"""

    action: ClassVar[str] = "sales.audit"
    roles: ClassVar[frozenset[str]] = frozenset(
        {"owner", "finance", "billing", "auditor", "account"}
    )
    api: ClassVar[str | None] = "sales-reports/{period}/audit"
    causes: ClassVar[tuple[type[Event], ...]] = (SalesReported,)
    period: Annotated[
        Period, Field(description="The reported period audited: 2027-03, 2027-Q1 or 2027.")
    ]
    sales: Annotated[Amount, Field(description="The audited sales of the period.")]
    by: Annotated[Slug, Field(description="The share party's person recording the audit.")]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(min_length=1, max_length=50, description="SHA-256 of the audit report file."),
    ]

    guard: ClassVar[Guard | None] = report_sales
    fixed: ClassVar[Mapping[str, Any]] = {"audit": True}


class IssueRevenueShareInvoice(Command):
    """Invoice the revenue share of a reported period not yet billed (after an audit, the
    difference), in the share party's series. Example: `copact issue-revenue-share-invoice
    DEAL 2027-Q1`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "revenue-periods/{period}/invoice"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice,)
    actor: ClassVar[str | None] = None
    period: Annotated[
        Period, Field(description="The reported period to invoice: 2027-03, 2027-Q1 or 2027.")
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        payee = c.deal.revenue_share.party if c.deal.revenue_share else ""
        number = _next_number(c.deal, c.state, payee)
        return invoice_revenue(c.deal, c.state, period=self.period, number=number, at=c.at)


class CreditRevenueShare(Command):
    """Credit what an audit found billed above a period's revenue share (a credit note
    correcting the period's first invoice). Example: `copact credit-revenue-share DEAL
    2027-Q1`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "revenue-periods/{period}/credit-note"
    causes: ClassVar[tuple[type[Event], ...]] = (CreditNote,)
    actor: ClassVar[str | None] = None
    period: Annotated[
        Period, Field(description="The audited period to credit: 2027-03, 2027-Q1 or 2027.")
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        payee = c.deal.revenue_share.party if c.deal.revenue_share else ""
        number = _next_number(c.deal, c.state, payee)
        return credit_revenue(c.deal, c.state, period=self.period, number=number, at=c.at)


# -- gainshare --

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Hash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(max_digits=18, decimal_places=6, allow_inf_nan=False),
]


class SettleSavings(Command):
    """Record a gainshare month's savings against the locked baseline: predicted, actual,
    S = predicted − actual, the baseline's hash and the hash of the data files. Built by the
    baseline use case (`copact baseline --record`) from what it computed, never typed in."""

    action: ClassVar[str] = "gainshare.settle"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "finance", "billing"})
    api: ClassVar[str | None] = None
    causes: ClassVar[tuple[type[Event], ...]] = (SavingsSettled,)
    period: Annotated[Month, Field(description="The gainshare month, e.g. 2027-03.")]
    predicted: Annotated[
        Quantity, Field(description="The locked baseline's prediction for the month, in its unit.")
    ]
    actual: Annotated[
        Quantity, Field(description="The month's measured use, in the baseline's unit.")
    ]
    savings: Annotated[
        Quantity,
        Field(description="S = predicted − actual (negative in a month above the baseline)."),
    ]
    baseline: Annotated[
        Hash, Field(description="The locked baseline's hash: sha256: and 64 hex digits.")
    ]
    inputs: Annotated[
        Hash, Field(description="The hash of the month's data files: sha256: and 64 hex digits.")
    ]
    by: Annotated[Slug, Field(description="The person recording it: a person id of the deal file.")]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(max_length=10, description="The SHA-256 of each data file of the month."),
    ] = ()  # the data files

    def decide(self, c: Context) -> Sequence[Event]:
        return settle_savings(
            c.deal,
            c.state,
            period=self.period,
            predicted=self.predicted,
            actual=self.actual,
            savings=self.savings,
            baseline=self.baseline,
            inputs=self.inputs,
            by=self.by,
            at=c.at,
            evidence=list(c.facts.evidence),
        )


def _gainshare_payee(deal: Deal) -> str:
    share = deal.gainshare.share if deal.gainshare else {}
    return next(iter(share)) if len(share) == 1 else ""


class IssueGainshareInvoice(Command):
    """Invoice a settled gainshare month, once: the base fee and the share of its savings
    (share × max(0, S) × price, within the contract year's cap). Example: `copact
    issue-gainshare-invoice hybrid-dc1 2027-03`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "gainshare-periods/{period}/invoice"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice,)
    actor: ClassVar[str | None] = None
    period: Annotated[
        Month, Field(description="The settled gainshare month to invoice, e.g. 2027-03.")
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        number = _next_number(c.deal, c.state, _gainshare_payee(c.deal))
        return invoice_gainshare(c.deal, c.state, period=self.period, number=number, at=c.at)


class TrueUpGainshare(Command):
    """True up a contract year once it has ended and its months are invoiced: the year's
    min(cap, share × max(0, ΣS) × price) less the share lines billed, as an invoice or, when
    negative, a credit note. Example: `copact true-up-gainshare hybrid-dc1 2027`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "gainshare-years/{year}/true-up"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice, CreditNote)
    actor: ClassVar[str | None] = None
    year: Annotated[
        str, Field(pattern=r"^\d{4}$", description="The ended contract year to true up, e.g. 2027.")
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        number = _next_number(c.deal, c.state, _gainshare_payee(c.deal))
        return true_up(c.deal, c.state, year=self.year, number=number, at=c.at)


# -- cost-plus reimbursement --

CostMonth = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-03"])]


class RecordCost(Command):
    """The supplier records a cost of a month with its receipts and timesheets (files already
    in the workspace), within the cost-plus cap. Example: `copact record-cost DEAL --id
    travel-03 --period 2027-03 --amount 40000.00 --description "test rig hire" --evidence
    SHA256 --evidence SHA256 --by account-lead`"""

    action: ClassVar[str] = "cost.record"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "account", "billing", "engineer"})
    api: ClassVar[str | None] = "costs"
    causes: ClassVar[tuple[type[Event], ...]] = (CostRecorded,)
    id: Annotated[Slug, Field(description="The cost's own id, e.g. travel-03.")]
    period: Annotated[CostMonth, Field(description="The month it was incurred, e.g. 2027-03.")]
    amount: Annotated[Amount, Field(description="What it cost, e.g. 40000.00.")]
    description: Annotated[Line, Field(description="What it was, e.g. test rig hire.")]
    by: Annotated[
        Slug, Field(description="The supplier's person recording it: a person id of the deal file.")
    ]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(min_length=1, max_length=50, description="The SHA-256 of a receipt or timesheet."),
    ]

    guard: ClassVar[Guard | None] = record_cost


class ReviewCost(Command):
    """A person of the buyer approves a recorded cost or rejects it with reasons, once.
    Example: `copact review-cost DEAL travel-03 --decision approved --by owner`"""

    action: ClassVar[str] = "cost.review"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "acceptor", "finance"})
    api: ClassVar[str | None] = "costs/{cost}/review"
    causes: ClassVar[tuple[type[Event], ...]] = (CostReviewed,)
    cost: Annotated[Slug, Field(description="The recorded cost's id, e.g. travel-03.")]
    decision: Annotated[
        Literal["approved", "rejected"], Field(description="approved, or rejected with reasons.")
    ]
    reasons: Annotated[
        tuple[Line, ...],
        Field(max_length=20, description="Why it is rejected, one reason each (needed to reject)."),
    ] = ()
    by: Annotated[Slug, Field(description="The buyer's person reviewing it.")]

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        fields = dict(super().fields_of(event))
        fields["reasons"] = tuple(fields.get("reasons") or ())
        return fields

    guard: ClassVar[Guard | None] = review_cost


class IssueCostInvoice(Command):
    """Invoice a month's approved costs not yet billed, a line each and one for the markup,
    once, in the supplier's series. Example: `copact issue-cost-invoice DEAL 2027-03`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "cost-periods/{period}/invoice"
    causes: ClassVar[tuple[type[Event], ...]] = (Invoice,)
    actor: ClassVar[str | None] = None
    period: Annotated[
        CostMonth, Field(description="The month whose approved costs are invoiced, e.g. 2027-03.")
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        suppliers = c.deal.suppliers
        payee = suppliers[0].id if len(suppliers) == 1 else ""
        number = _next_number(c.deal, c.state, payee)
        return invoice_costs(c.deal, c.state, period=self.period, number=number, at=c.at)


# -- volume commitment with rebate --

VolumeMonth = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-07"])]
Units = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, max_digits=15, decimal_places=6, allow_inf_nan=False),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{1,9}(\.[0-9]{1,6})?$", "examples": ["2600"]}
    ),
]


class RecordPurchases(Command):
    """Record a month's purchases under the volume commitment: the units delivered and the
    ERP's call-off or invoice number (used once); amount = quantity × the deal's price. They
    count towards the contract year once a person of the other party confirms them. Example:
    `copact record-purchases heat-sensor-housing --period 2027-07 --quantity 2600 --ref
    CO-2027-07 --by dana`"""

    action: ClassVar[str] = "purchases.record"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing", "operations"})
    api: ClassVar[str | None] = "purchases"
    causes: ClassVar[tuple[type[Event], ...]] = (PurchasesRecorded,)
    period: Annotated[VolumeMonth, Field(description="The month of the purchases, e.g. 2027-07.")]
    quantity: Annotated[Units, Field(description="The units delivered, e.g. 2600 (whole units).")]
    ref: Annotated[Ref, Field(description="The ERP's call-off or invoice number, e.g. CO-2027-07.")]
    by: Annotated[Slug, Field(description="The person recording them (buyer or supplier).")]
    amount: Annotated[
        Amount | None, Field(description="Optional: checked against quantity × the price.")
    ] = None

    guard: ClassVar[Guard | None] = record_purchases


class ConfirmPurchases(Command):
    """A person of the other party confirms recorded purchases; from then on they count
    towards the commitment and the rebate. Example: `copact confirm-purchases
    heat-sensor-housing CO-2027-07 --by luis`"""

    action: ClassVar[str] = "purchases.confirm"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing", "operations"})
    api: ClassVar[str | None] = "purchases/{ref:path}/confirm"
    causes: ClassVar[tuple[type[Event], ...]] = (PurchasesConfirmed,)
    ref: Annotated[
        Ref,
        Field(description="The recorded purchases' call-off or invoice number, e.g. CO-2027-07."),
    ]
    by: Annotated[Slug, Field(description="The person confirming (of the other party).")]

    guard: ClassVar[Guard | None] = confirm_purchases


class RecordForecast(Command):
    """The buyer forecasts its purchases: one quantity a period from a month, each period a
    month, a quarter or a year as volume.forecast says; the latest forecast stands. Example:
    `copact record-forecast heat-sensor-housing --from 2027-07 --quantity 7000 --quantity
    7500 --by hannah`"""

    action: ClassVar[str] = "forecast.record"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "operations"})
    api: ClassVar[str | None] = "forecasts"
    causes: ClassVar[tuple[type[Event], ...]] = (ForecastRecorded,)
    from_: Annotated[
        VolumeMonth, Field(alias="from", description="The forecast's first month, e.g. 2027-07.")
    ]
    quantities: Annotated[
        tuple[Units, ...],
        Field(min_length=1, max_length=36, description="The units of one period, in order."),
    ]
    by: Annotated[Slug, Field(description="The buyer's person forecasting.")]

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        assert isinstance(event, ForecastRecorded)
        return {
            "deal": event.deal,
            "from_": event.from_,
            "quantities": tuple(event.quantities),
            "by": event.by,
        }

    guard: ClassVar[Guard | None] = record_forecast


class TrueUpVolume(Command):
    """True up a contract year of the volume commitment once it has ended: the rebate of the
    tier its confirmed quantity reached, as a credit note to the buyer, and under shortfall:
    invoice a year below the commitment invoiced (commitment − quantity) × price. Example:
    `copact true-up-volume heat-sensor-housing 2026`"""

    action: ClassVar[str] = "invoices.issue"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "volume-years/{year}/true-up"
    causes: ClassVar[tuple[type[Event], ...]] = (CreditNote, Invoice)
    actor: ClassVar[str | None] = None
    year: Annotated[
        str,
        Field(
            pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$",
            description="The ended contract year, e.g. 2026 (2026-07 for one from July).",
        ),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        suppliers = c.deal.suppliers
        payee = suppliers[0].id if len(suppliers) == 1 else ""
        numbers = [_next_number(c.deal, c.state, payee, taken) for taken in (0, 1)]
        return true_up_volume(c.deal, c.state, year=self.year, numbers=numbers, at=c.at)


# -- money --


# -- convertible support --


class RequestConversion(Command):
    """A person of the buyer asks to convert support it paid at one of the deal's windows,
    inside it (the 30 days up to and including its date). Example: `copact request-conversion
    DEAL --conversion c-2027-06 --window 2027-06-30 --amount 60000.00 --by owner`"""

    action: ClassVar[str] = "conversion.request"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance"})
    api: ClassVar[str | None] = "conversions"
    causes: ClassVar[tuple[type[Event], ...]] = (ConversionRequested,)
    conversion: Annotated[Slug, Field(description="A name for the request, e.g. c-2027-06.")]
    window: Annotated[date, Field(description="The window's date, e.g. 2027-06-30.")]
    amount: Annotated[Amount, Field(description="The support to convert, e.g. 60000.00.")]
    by: Annotated[
        Slug, Field(description="The buyer's person asking (the buyer holds the support).")
    ]

    guard: ClassVar[Guard | None] = request_conversion


class ApproveConversion(Command):
    """A person of the supplier approves a conversion request inside its window: the support
    converts (into credits = amount x the formula's ratio, half-even, under service credits).
    Example: `copact approve-conversion DEAL c-2027-06 --by account-lead`"""

    action: ClassVar[str] = "conversion.approve"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance"})
    api: ClassVar[str | None] = "conversions/{conversion}/approve"
    causes: ClassVar[tuple[type[Event], ...]] = (ConversionApproved,)
    conversion: Annotated[Slug, Field(description="The conversion request's name, e.g. c-2027-06.")]
    credits: Annotated[
        Amount | None,
        Field(description="The credits expected, e.g. 69000.00 (refused if the formula differs)."),
    ] = None
    by: Annotated[Slug, Field(description="The supplier's person approving it.")]

    guard: ClassVar[Guard | None] = approve_conversion


class RecordPayment(Command):
    """A person of the paying party records a payment it made; it counts once the payee
    confirms it."""

    action: ClassVar[str] = "payment.record"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "payments"
    causes: ClassVar[tuple[type[Event], ...]] = (Payment,)
    payer: Annotated[Slug, Field(description="The paying party's id in the deal file, e.g. acme.")]
    payee: Annotated[
        Slug,
        Field(description="The party paid, e.g. voltworks: a person of it confirms the payment."),
    ]
    amount: Annotated[
        Amount, Field(description="The amount paid in the deal's currency, e.g. 40000.00.")
    ]
    ref: Annotated[
        Ref, Field(description="The payment's own reference, used once, e.g. the bank transfer's.")
    ]
    for_: Annotated[
        str | None,
        Field(
            alias="for",
            max_length=100,
            description="What it pays: an invoice or credit note number, an invoiced milestone, "
            "prepaid, convertible or exit; left out, it is held on account.",
        ),
    ] = None
    # required (``None`` is refused); optional in the type for journals from before it
    by: Annotated[Slug | None, Field(description="The payer's person recording it.")] = None

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        assert isinstance(event, Payment)
        return dict(
            deal=event.deal,
            payer=event.from_,
            payee=event.to,
            amount=event.amount,
            ref=event.ref,
            for_=event.for_,
            by=event.by,
        )

    def decide(self, c: Context) -> Sequence[Event]:
        return core.pay(
            c.deal,
            c.state,
            payer=self.payer,
            payee=self.payee,
            amount=self.amount,
            ref=self.ref,
            for_=self.for_,
            at=c.at,
            by=self.by if c.facts.imported else _who(self.by, "records the payment"),
        )


class ConfirmPayment(Command):
    """A person of the payee confirms that a payment recorded by the other party arrived."""

    action: ClassVar[str] = "payment.confirm"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "finance", "billing"})
    api: ClassVar[str | None] = "payments/{ref:path}/confirm"
    causes: ClassVar[tuple[type[Event], ...]] = (PaymentConfirmed,)
    ref: Annotated[Ref, Field(description="The recorded payment's reference.")]
    by: Annotated[Slug, Field(description="The payee's person confirming that it arrived.")]

    guard: ClassVar[Guard | None] = core.confirm_payment


class ClaimWork(Command):
    """A supplier claims the worth of completed but unaccepted work (it counts at exit)."""

    action: ClassVar[str] = "work.claim"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "account", "billing"})
    api: ClassVar[str | None] = "claims"
    causes: ClassVar[tuple[type[Event], ...]] = (WorkClaimed,)
    amount: Annotated[
        Amount, Field(description="What the completed, unaccepted work is worth, e.g. 15000.00.")
    ]
    for_: Annotated[
        str,
        Field(
            alias="for",
            min_length=1,
            max_length=500,
            description="The work claimed, in a few words, e.g. tooling design, 80% done.",
        ),
    ]
    evidence: Annotated[
        tuple[Sha256, ...],
        Field(
            max_length=50,
            description="The SHA-256 of each evidence file of the work (`copact evidence add`).",
        ),
    ] = ()
    # required (``None`` is refused); optional in the type for journals from before it
    by: Annotated[Slug | None, Field(description="The supplier's person making the claim.")] = None

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        assert isinstance(event, WorkClaimed)
        return dict(
            deal=event.deal,
            amount=event.amount,
            for_=event.for_,
            evidence=tuple(r.sha256 for r in event.evidence),
            by=event.by,
        )

    def decide(self, c: Context) -> Sequence[Event]:
        return core.claim(
            c.deal,
            c.state,
            amount=self.amount,
            for_=self.for_,
            evidence=list(c.facts.evidence),
            at=c.at,
            by=self.by if c.facts.imported else _who(self.by, "claims the work"),
        )


# -- governance --


class DecideGate(Command):
    """One decider records their own decision on a phase gate; it is decided when every
    decider has recorded the same one."""

    action: ClassVar[str] = "gate.decide"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account"})
    api: ClassVar[str | None] = "gates/{phase}"
    causes: ClassVar[tuple[type[Event], ...]] = (GateDecided,)
    phase: Annotated[Slug, Field(description="The gated phase's id in the deal file, e.g. design.")]
    decision: Annotated[
        Literal["proceed", "adjust", "pause"],
        Field(description="proceed, adjust (naming the change order) or pause."),
    ]
    by: Annotated[
        Slug, Field(description="One of the gate's deciders, recording their own decision.")
    ]
    change: Annotated[Slug | None, Field(description="With adjust: the change order it awaits")] = (
        None
    )

    guard: ClassVar[Guard | None] = core.decide_gate


class ProposeChange(Command):
    """Propose a change order: an amount and/or a JSON Merge Patch of the deal file, which must
    give a deal that loads and checks and keep what was accepted, invoiced or paid."""

    action: ClassVar[str] = "change.propose"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account"})
    api: ClassVar[str | None] = "changes"
    causes: ClassVar[tuple[type[Event], ...]] = (ChangeProposed,)
    needs_text: ClassVar[bool] = True
    change: Annotated[Slug, Field(description="A new id for the change order, e.g. co-3.")]
    by: Annotated[Slug, Field(description="The person proposing it: any person of the deal.")]
    amount: Annotated[
        Amount | None,
        Field(description="What it adds to the price, e.g. 12000.00 (negative: it takes off)."),
    ] = None
    patch: Annotated[
        dict[str, Any] | None,
        Field(
            description="A JSON Merge Patch of the deal file; the amended deal must load and check."
        ),
    ] = None

    def decide(self, c: Context) -> Sequence[Event]:
        if self.patch and c.facts.deal_text is not None:
            guard_amendment(c.facts.deal_text, self.change, self.patch, c.state)
        return propose_change(
            c.deal,
            c.state.changes,
            change=self.change,
            amount=self.amount,
            patch=self.patch,
            by=self.by,
            at=c.at,
        )


class ApproveChange(Command):
    """Approve a change order; the last approval it needs makes the next deal version
    (``Outcome.version``). Refused when the amendment no longer fits the deal as it now
    stands (a milestone it drops was accepted since it was proposed, say)."""

    action: ClassVar[str] = "change.decide"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account", "acceptor"})
    api: ClassVar[str | None] = "changes/{change}/approve"
    causes: ClassVar[tuple[type[Event], ...]] = (ChangeApproved,)
    needs_text: ClassVar[bool] = True
    change: Annotated[Slug, Field(description="The proposed change order's id, e.g. co-3.")]
    by: Annotated[
        Slug,
        Field(
            description="A person whose approval it still needs (over the threshold: an approver)."
        ),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        approved = approve_change(c.deal, c.state.changes, change=self.change, by=self.by, at=c.at)
        patch = c.state.changes[self.change].patch
        if patch and c.facts.deal_text is not None:
            guard_amendment(c.facts.deal_text, self.change, patch, c.state)
        return approved


class RejectChange(Command):
    """Turn down a pending change order (or withdraw your own proposal)."""

    action: ClassVar[str] = "change.decide"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account", "acceptor"})
    api: ClassVar[str | None] = "changes/{change}/reject"
    causes: ClassVar[tuple[type[Event], ...]] = (ChangeRejected,)
    change: Annotated[Slug, Field(description="The pending change order's id, e.g. co-3.")]
    by: Annotated[
        Slug,
        Field(
            description="A person whose approval it still needs, or its proposer withdrawing it."
        ),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        return reject_change(c.deal, c.state.changes, change=self.change, by=self.by, at=c.at)


class TriggerExit(Command):
    """Invoke an exit; refused unless the trigger is open today for the person's party."""

    action: ClassVar[str] = "exit.invoke"
    roles: ClassVar[frozenset[str]] = frozenset({"owner"})
    api: ClassVar[str | None] = "exit"
    causes: ClassVar[tuple[type[Event], ...]] = (ExitInvoked,)
    trigger: Annotated[
        Literal["missed-milestone", "convenience", "change-of-control", "insolvency"],
        Field(description="missed-milestone, convenience, change-of-control or insolvency."),
    ]
    by: Annotated[
        Slug,
        Field(description="The person invoking it for their party (the trigger open to it today)."),
    ]

    def decide(self, c: Context) -> Sequence[Event]:
        return invoke_exit(c.deal, c.history, trigger=self.trigger, by=self.by, at=c.at)


class LogDecision(Command):
    """Enter a decision in the deal's log in the names of the people who took it (on the web,
    each person records their own)."""

    action: ClassVar[str] = "decision.log"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account"})
    api: ClassVar[str | None] = "decisions"
    causes: ClassVar[tuple[type[Event], ...]] = (DecisionLogged,)
    decision: Annotated[
        str, Field(min_length=3, max_length=2000, description="What was decided, in a sentence.")
    ]
    by: Annotated[
        tuple[Slug, ...],
        Field(
            min_length=1,
            max_length=20,
            description="The people of the deal who took it (on the web, the signed-in user).",
        ),
    ]
    topic: Annotated[
        str | None,
        Field(
            max_length=200, description="What it is about, e.g. a phase, a risk or a change order."
        ),
    ] = None

    guard: ClassVar[Guard | None] = core.log_decision


class RecordWindow(Command):
    """Take a span of one SLA site out of its availability: approved maintenance (``planned``)
    or an exclusion (``excluded``). ``start`` and ``end`` are ISO 8601 with their offset."""

    action: ClassVar[str] = "window.record"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations"})
    causes: ClassVar[tuple[type[Event], ...]] = (WindowRecorded,)
    site: Annotated[Slug, Field(description="The SLA site's id in the deal file, e.g. dc1.")]
    start: Annotated[
        Instant,
        Field(
            description="When it starts, ISO 8601 with its offset, e.g. 2027-03-14T02:00:00-04:00."
        ),
    ]
    end: Annotated[
        Instant,
        Field(
            description="When it ends, after start: ISO 8601 with its offset, "
            "e.g. 2027-03-14T06:00:00-04:00."
        ),
    ]
    kind: Annotated[
        Literal["planned", "excluded"],
        Field(description="planned (approved maintenance) or excluded (an exclusion)."),
    ]
    by: Annotated[
        Slug,
        Field(description="The buyer's person approving it (a window narrows the buyer's SLA)."),
    ]
    note: Annotated[
        str | None,
        Field(max_length=2000, description="A note for the record, e.g. the maintenance ticket."),
    ] = None

    @classmethod
    def fields_of(cls, event: Event) -> dict[str, Any]:
        assert isinstance(event, WindowRecorded)
        return dict(
            deal=event.deal,
            site=event.site,
            start=event.start.isoformat(),
            end=event.end.isoformat(),
            kind=event.kind,
            by=event.by,
            note=event.note,
        )

    def decide(self, c: Context) -> Sequence[Event]:
        return core.record_window(
            c.deal,
            c.state,
            site=self.site,
            start=_instant(self.start, "start"),
            end=_instant(self.end, "end"),
            kind=self.kind,
            by=self.by,
            note=self.note,
            at=c.at,
        )


class UpdateRisk(Command):
    """Add a risk to the register (description, likelihood, impact) or change its fields."""

    action: ClassVar[str] = "risk.update"
    roles: ClassVar[frozenset[str]] = frozenset({"owner", "operations", "account"})
    api: ClassVar[str | None] = "risks"
    causes: ClassVar[tuple[type[Event], ...]] = (RiskUpdated,)
    risk: Annotated[
        Slug, Field(description="The risk's id in the register, new or existing, e.g. pps-supply.")
    ]
    by: Annotated[Slug, Field(description="The person recording it: a person id of the deal file.")]
    description: Annotated[
        str | None,
        Field(
            min_length=3, max_length=2000, description="What the risk is (required for a new risk)."
        ),
    ] = None
    likelihood: Annotated[
        Literal["low", "medium", "high"] | None,
        Field(description="low, medium or high (required for a new risk)."),
    ] = None
    impact: Annotated[
        Literal["low", "medium", "high"] | None,
        Field(description="low, medium or high (required for a new risk)."),
    ] = None
    owner: Annotated[
        Slug | None, Field(description="The person who owns it: a person id of the deal file.")
    ] = None
    mitigation: Annotated[
        str | None, Field(max_length=2000, description="What is done to reduce it.")
    ] = None
    status: Annotated[
        Literal["open", "mitigated", "realised", "closed"] | None,
        Field(description="open, mitigated, realised or closed."),
    ] = None

    def decide(self, c: Context) -> Sequence[Event]:
        given = self.model_dump(exclude={"deal", "key", "risk", "by"})
        return core.update_risk(c.deal, c.state, risk=self.risk, by=self.by, at=c.at, **given)


COMMANDS: tuple[type[Command], ...] = (
    Sign,
    Submit,
    Accept,
    Reject,
    IssueInvoices,
    IssueAdvanceInvoice,
    CreditExitRefund,
    RecordPayment,
    ConfirmPayment,
    ClaimWork,
    DecideGate,
    ProposeChange,
    ApproveChange,
    RejectChange,
    TriggerExit,
    LogDecision,
    RecordWindow,
    UpdateRisk,
    ReviewServicePeriod,
    IssueServiceInvoice,
    ClaimBonus,
    ReviewBonus,
    ReportSales,
    AuditSales,
    IssueRevenueShareInvoice,
    CreditRevenueShare,
    RecordCost,  # cost-plus
    ReviewCost,
    IssueCostInvoice,
    IssueGainshareInvoice,  # gainshare
    TrueUpGainshare,
    RecordPurchases,  # volume commitment
    ConfirmPurchases,
    RecordForecast,
    TrueUpVolume,
    RequestConversion,  # convertible support
    ApproveConversion,
)
"""Every command with a route or a command of its own, in the order the help and the API
document them."""

BUILT: tuple[type[Command], ...] = (SettleServicePeriod, SettleSavings)
"""Commands a use case builds from what it computed (a metered period), with no route and no
command line of their own: the guard is the same, the fields come from the computation."""


# -- running one --


def execute(command: Command, *, uow: UnitOfWork, clock: Clock | None = None) -> Outcome:
    """Run ``command`` on its deal now: the guard on the state under the deal's write lock,
    then its events appended in the same transaction. A deal whose exit has taken effect takes
    only its settlement (payments ``for: exit`` and their confirmations)."""
    facts = Facts(
        evidence=_evidence(uow, command.deal, command.evidence_hashes(), _by(command)),
        deal_text=uow.deal_text(command.deal) if command.needs_text else None,
    )

    def folded(deal: Deal, history: list[Event], now: datetime) -> list[Event]:
        state = deal_state(deal, history, on=now.date())
        ended = ended_reason(deal, history, state)
        if ended and not isinstance(command, RecordPayment | ConfirmPayment | CreditExitRefund):
            raise RefusedCommand(ended)  # said first: it is why nothing else can happen
        core.refuse_before_binding(deal, state, command.causes)  # nothing operates it unsigned
        caused = list(command.decide(Context(deal, state, history, now, facts)))
        refuse_after_exit(deal, history, state, caused)  # after an exit, only its settlement
        return caused

    return uow.execute(
        command.deal, folded, key=command.key, request=command.request(), clock=clock
    )


_BY_EVENT: dict[type[Event], type[Command]] = {
    Signed: Sign,
    Submitted: Submit,
    Accepted: Accept,
    Rejected: Reject,
    Payment: RecordPayment,
    PaymentConfirmed: ConfirmPayment,
    WorkClaimed: ClaimWork,
    GateDecided: DecideGate,
    ChangeProposed: ProposeChange,
    ChangeApproved: ApproveChange,
    ChangeRejected: RejectChange,
    ExitInvoked: TriggerExit,
    DecisionLogged: LogDecision,
    WindowRecorded: RecordWindow,
    RiskUpdated: UpdateRisk,
    ServiceSettled: SettleServicePeriod,
    ServiceReviewed: ReviewServicePeriod,
    BonusClaimed: ClaimBonus,
    BonusReviewed: ReviewBonus,
    SavingsSettled: SettleSavings,  # gainshare
    CostRecorded: RecordCost,  # cost-plus
    CostReviewed: ReviewCost,
    PurchasesRecorded: RecordPurchases,  # volume commitment
    PurchasesConfirmed: ConfirmPurchases,
    ForecastRecorded: RecordForecast,
    ConversionRequested: RequestConversion,  # convertible support
    ConversionApproved: ApproveConversion,
}


def admit(
    deal: Deal, history: list[Event], event: Event, *, state: DealState | None = None
) -> None:
    """Check an event read from outside (an imported journal) against the guard of the command
    that would have made it, given the events before it; raise :class:`RefusedCommand` if it
    could not have been. ``state`` is the deal's state on the event's day when the caller keeps
    a running fold (a long import); else it is folded here."""
    if event.deal != deal.id:
        raise RefusedCommand(f"the event is for deal {event.deal!r}, not {deal.id!r}")
    if state is None:
        state = deal_state(deal, history, on=event.day)
    core.refuse_before_binding(deal, state, [type(event)])  # nothing operates it unsigned
    if isinstance(event, Invoice):
        _admit_invoice(deal, state, event)
    elif isinstance(event, PrepaymentInvoice):
        _admit_prepayment(deal, state, event)
    elif isinstance(event, CreditNote) and event.for_ == "exit":
        (expected,) = credit_exit_refund(deal, history, state, number=event.number, at=event.at)
        _same_document(event, expected, "credit note")
    elif isinstance(event, CreditNote):
        credit = PERIOD_CREDITS.get(event.for_)
        if credit is None or event.period is None:
            raise RefusedCommand(f"credit note {event.number}: nothing issues a {event.for_} here")
        (expected,) = credit(deal, state, period=event.period, number=event.number, at=event.at)
        _same_document(event, expected, "credit note")
    else:
        maker = _BY_EVENT.get(type(event))
        if isinstance(event, SalesReported):
            maker = AuditSales if event.audit else ReportSales
        assert maker is not None, event.type
        command = maker.from_event(event)
        # the files it names, if it names any (read from the fields: ``getattr`` of a field
        # an event has not goes through pydantic's slow miss, on every line of an import)
        refs = tuple(event.__dict__.get("evidence", ()))
        facts = Facts(evidence=refs, imported=True)
        command.decide(Context(deal, state, history, event.at, facts))
    refuse_after_exit(deal, history, state, [event])


PeriodInvoice = Callable[..., Sequence[Invoice]]

PERIOD_INVOICES: dict[str, PeriodInvoice] = {
    "sla": invoice_service,
    "bonus": invoice_bonus,
    "revenue": invoice_revenue,
    "gainshare": invoice_gainshare,
    "cost": invoice_costs,  # cost-plus
    "volume": invoice_shortfall,  # volume commitment: a year's shortfall
}
"""Per mechanism of :data:`copact.core.invoicing.MECHANISMS`, the guard that issues its
period's invoice (``deal, state, *, period, number, at``): an imported invoice of a period
must be, to the cent, the one it issues under that number."""


PERIOD_CREDITS: dict[str, Callable[..., Sequence[CreditNote]]] = {
    "revenue-share": credit_revenue,
    "true-up": credit_true_up,  # gainshare
    "rebate": credit_rebate,  # volume commitment
}
"""Per ``for`` of a credit note other than an exit's (``true-up``, ``rebate``), the guard that
issues it for a period (``deal, state, *, period, number, at``)."""


def _admit_invoice(deal: Deal, state: DealState, event: Invoice) -> None:
    kinds = {(m.mechanism, m.period) for ln in event.lines if (m := mechanism_line(ln.for_))}
    if kinds:
        every = all(mechanism_line(line.for_) for line in event.lines)
        if len(kinds) > 1 or not every:
            raise RefusedCommand(f"invoice {event.number} mixes periods and milestones")
        mechanism, period = kinds.pop()
        (expected,) = PERIOD_INVOICES[mechanism](
            deal, state, period=period, number=event.number, at=event.at
        )
        said = [(line.for_, line.amount) for line in event.lines]
        ours = [(line.for_, line.amount) for line in expected.lines]
        if said != ours or (event.tax, event.due) != (expected.tax, expected.due):
            raise RefusedCommand(
                f"invoice {event.number} bills {said} (VAT {event.tax}, due {event.due}); the "
                f"deal's figures say {ours} (VAT {expected.tax}, due {expected.due})"
            )
        return
    for line in event.lines:
        (expected,) = core.invoice_for(
            deal, state, milestone=line.for_, number=event.number, at=event.at
        )
        if expected.net != line.amount:
            raise RefusedCommand(
                f"invoice {event.number} bills {line.amount} for {line.for_}; "
                f"the deal says {expected.net}"
            )
    tax = vat_on(deal, deal.money(event.net)).amount
    if (event.tax or 0) != tax:
        raise RefusedCommand(
            f"invoice {event.number} charges {event.tax or 0} VAT on {event.net}; "
            f"the deal's tax rule says {tax}"
        )


def _admit_prepayment(deal: Deal, state: DealState, event: PrepaymentInvoice) -> None:
    """An imported prepayment invoice is the one the command would issue under its number,
    to the cent: who bills whom, the net, the VAT and the due date."""
    (expected,) = core.invoice_advance(deal, state, number=event.number, at=event.at)
    _same_document(event, expected, "prepayment invoice")


def _same_document(
    event: PrepaymentInvoice | CreditNote, expected: PrepaymentInvoice | CreditNote, what: str
) -> None:
    """Refuse an imported document that is not, to the cent, the one its command issues."""
    for name, label in (
        ("from_", "is from"),
        ("to", "is to"),
        ("amount", "bills"),
        ("tax", "charges VAT of"),
        ("preceding", "corrects"),
        ("due", "is due"),
    ):
        said, ours = getattr(event, name, None), getattr(expected, name, None)
        if said != ours:
            raise RefusedCommand(f"{what} {event.number} {label} {said}; the deal says {ours}")


# -- shared steps --


@functools.cache
def _defaults(command: type[Command]) -> dict[str, Any]:
    """The command's fields that have a default, with it (each immutable: shared safely)."""
    out: dict[str, Any] = {}
    for name, info in command.model_fields.items():
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if not isinstance(value, str | int | bool | tuple | frozenset | type(None)):
            raise TypeError(f"{command.__name__}.{name}: a default must be immutable")
        out[name] = value
    return out


@functools.cache
def _shared(command: type[Command], event: type[Event]) -> tuple[str, ...]:
    """The fields a command and an event type both have (what an event says of its command)."""
    return tuple(n for n in command.model_fields if n in event.model_fields)


def _day(at: datetime | date) -> date:
    return at.date() if isinstance(at, datetime) else at


def _by(command: Command) -> str | None:
    by = getattr(command, "by", None)
    return by if isinstance(by, str) else None


def _evidence(
    uow: UnitOfWork, deal: str, hashes: tuple[str, ...], by: str | None
) -> tuple[EvidenceRef, ...]:
    """The files named by their hashes, as the party of ``by`` holds them: its own record of
    each (its name and kind), never another party's confidential one."""
    if not hashes:
        return ()
    person = uow.deal(deal).person(by) if by else None
    party = person.party if person is not None else None
    refs = []
    for sha in hashes:
        record = uow.evidence_record(deal, sha, party=party)
        if record is None:
            raise UnknownName(
                f"no evidence {sha[:12]}… in this workspace for {deal}; add the file first "
                "(`copact evidence add`)"
            )
        refs.append(EvidenceRef(name=record.name, sha256=record.sha256, kind=record.kind))
    return tuple(refs)


def _next_number(deal: Deal, state: DealState, payee: str, taken: int = 0) -> str:
    """The next free number of the payee's series (``invoice-series``), else ``DEAL-001``."""
    party = deal.party(payee)
    series = party.invoice_series if party else None
    prefix, width = (series, 4) if series else (f"{deal.id}-", 3)
    used = sum(1 for number in state.invoice_numbers if number.startswith(prefix))
    n = used + 1 + taken
    while f"{prefix}{n:0{width}d}" in state.invoice_numbers:
        n += 1
    return f"{prefix}{n:0{width}d}"


def _invoice_if_due(
    deal: Deal, state: DealState, milestone: str, at: datetime | date, taken: int
) -> list[Event]:
    amounts = invoice_amounts(deal)
    if milestone not in amounts or amounts[milestone].amount <= 0:
        return []
    spec = next(m for m in deal.milestones if m.id == milestone)
    number = _next_number(deal, state, payee_of(deal, spec), taken)
    return list(core.invoice_for(deal, state, milestone=milestone, number=number, at=at))


def _who(by: str | None, does: str) -> str:
    if not by:
        raise InvalidCommand(f"say who {does} (`by`, a person of the deal)")
    return by


def _instant(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidCommand(
            f"{what} {text!r} is not an ISO 8601 instant, e.g. 2027-03-14T02:00:00-04:00"
        ) from None
    if moment.tzinfo is None:
        raise InvalidCommand(
            f"{what} {text!r} has no UTC offset: write it as 2027-03-14T02:00:00-04:00 or …Z, "
            "so a daylight-saving night is not ambiguous"
        )
    return moment
