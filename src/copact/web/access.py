"""Who may do what: the one place the server decides, for every object it hands out.

Three questions, asked in this order for every request that names a deal:

1. Is the user's party a party of the deal? If not, the deal does not exist for them (404,
   so its id leaks nothing) and the attempt is logged.
2. May the user's role do this action? (``PERMISSIONS``; 403 and logged when not.)
3. For evidence: is it confidential to another party? (404 and logged; a read of a
   confidential item is logged too.) A file attached to a submission or a recorded cost is
   readable by both sides of that decision: the submitter's party and the sign-off person's,
   the cost's recorder and the buyer (:meth:`Guard.evidence`).

What the deal's state allows (who signs off a milestone, who pays whom) is then checked by the
services' guards, the same for the command line and the web.
"""

from __future__ import annotations

from copact.core.deal import Deal
from copact.errors import CopactError
from copact.services import operations as ops
from copact.services.access_log import AccessEntry, AccessLog, to_csv
from copact.services.evidence_files import EvidenceRecord
from copact.services.evidence_sides import cost_receipts, decision_readers, readable_receipt
from copact.services.workspace import Workspace, WorkspaceError
from copact.web.accounts import ROLES, Principal

__all__ = [
    "ACTIONS",
    "PERMISSIONS",
    "AccessEntry",
    "Forbidden",
    "Guard",
    "NotFound",
]

_ALL = frozenset(ROLES)


def _permissions() -> dict[str, frozenset[str]]:
    """The reads, and each command's action with the roles its definition names (commands
    that share an action must agree on its roles)."""
    table = {
        "deal.read": _ALL,
        "evidence.upload": frozenset({"owner", "acceptor", "operations", "account", "engineer"}),
        "access-log.read": frozenset({"owner", "auditor"}),
    }
    for command in (*ops.COMMANDS, *ops.BUILT):  # a built one is sent by a use case's route
        if command.api is None and command not in ops.BUILT:
            continue
        known = table.setdefault(command.action, command.roles)
        if known != command.roles:
            raise AssertionError(f"{command.__name__} gives {command.action} other roles")
    return table


#: action → the roles that may take it (within a deal of their party)
PERMISSIONS: dict[str, frozenset[str]] = _permissions()
ACTIONS = tuple(PERMISSIONS)


class Forbidden(CopactError):
    """The user's role may not do this (HTTP 403)."""


class NotFound(CopactError):
    """Nothing of that name that this user may see (HTTP 404)."""


class Guard:
    """Authorization and the access log. Every route that names a deal goes through
    :meth:`deal`; every evidence file through :meth:`evidence`. The log itself is the
    services' :class:`~copact.services.access_log.AccessLog`."""

    def __init__(self, workspace: Workspace, access_log: AccessLog) -> None:
        self.workspace = workspace
        self.access_log = access_log
        self.log = access_log.log  # who did what to which object, now

    # -- the access log --

    def entries(self, who: Principal, deal: str | None = None) -> list[AccessEntry]:
        """The entries ``who`` may read (owners and auditors): what concerns their party, or
        was done by it, in the deals of their party."""
        self.require_role(who, "access-log.read", deal=deal, ip=None)
        return self.access_log.entries(who.party, deals=set(self.deal_ids(who)), deal=deal)

    @staticmethod
    def to_csv(entries: list[AccessEntry]) -> str:
        return to_csv(entries)

    # -- decisions --

    def deal_ids(self, who: Principal) -> list[str]:
        """The deals of the user's party."""
        return [
            deal_id
            for deal_id, *_ in self.workspace.deals()
            if who.party in {p.id for p in self.workspace.deal(deal_id).parties}
        ]

    def require_role(
        self, who: Principal, action: str, *, deal: str | None, ip: str | None
    ) -> None:
        if who.role not in PERMISSIONS[action]:
            self.log(
                who,
                action=action,
                obj=deal or "-",
                outcome="refused",
                ip=ip,
                deal=deal,
                concerns=who.party,
                detail=f"role {who.role} may not {action}",
            )
            raise Forbidden(f"the role {who.role} may not do this ({action})")

    def deal(self, who: Principal, deal_id: str, action: str, *, ip: str | None) -> Deal:
        """The deal, when ``who`` may take ``action`` on it; else 404 or 403, logged."""
        try:
            deal = self.workspace.deal(deal_id)
        except WorkspaceError:
            raise NotFound(f"no deal {deal_id!r}") from None
        if who.party not in {p.id for p in deal.parties}:
            self.log(
                who,
                action=action,
                obj=f"deal {deal_id}",
                outcome="refused",
                ip=ip,
                deal=deal_id,
                concerns="*",
                detail=f"party {who.party} is not a party of the deal",
            )
            raise NotFound(f"no deal {deal_id!r}")
        self.require_role(who, action, deal=deal_id, ip=ip)
        return deal

    def side(
        self,
        who: Principal,
        deal: Deal,
        parties: set[str],
        *,
        action: str,
        ip: str | None,
        why: str,
    ) -> None:
        """Refuse (403, logged) unless the user's party is one of ``parties`` (the payer or
        payee of a payment, the supplier making a claim)."""
        if who.party not in parties:
            self.log(
                who,
                action=action,
                obj=f"deal {deal.id}",
                outcome="refused",
                ip=ip,
                deal=deal.id,
                concerns="*",
                detail=why,
            )
            raise Forbidden(why)

    def person(self, who: Principal, deal: Deal, *, ip: str | None = None) -> str:
        """The user's person id in the deal, the ``by`` of what they do."""
        person = deal.person(who.person) if who.person else None
        if person is None or person.party != who.party:
            self.log(
                who,
                action="act",
                obj=f"deal {deal.id}",
                outcome="refused",
                ip=ip,
                deal=deal.id,
                concerns=who.party,
                detail=f"{who.username} is not linked to a person of the deal",
            )
            raise Forbidden(
                f"your account ({who.username}) is not linked to a person of {deal.id}; "
                "ask your owner to link it"
            )
        return person.id

    def evidence(
        self, who: Principal, deal: Deal, sha256: str, *, ip: str | None
    ) -> EvidenceRecord:
        """An evidence record ``who`` may read; reads of confidential items and refusals are
        written to the access log.

        ``who``'s party reads its own records and the shared ones. A file attached to a
        submission is also readable by the two sides of that decision: the submitter's party
        and the party of the milestone's sign-off person, who is asked to accept it. A
        supplier's confidential test report stays hidden from everyone else, but the buyer can
        open what it is asked to pay for (and the journal both sides verify names it anyway).
        Such a read is answered with the submitter's record and logged as a confidential
        read. A cost's receipts are confidential to the cost's two sides whatever visibility
        they were uploaded with (:mod:`copact.services.evidence_sides`): the buyer reads
        them to approve the cost, anyone else is refused, and every read is logged. Anything
        else is 404, and its refusal names no owner."""
        events = self.workspace.events(deal.id)
        record = self.workspace.evidence_record(deal.id, sha256, party=who.party)
        if record is None:
            author = decision_readers(deal, events, sha256).get(who.party)
            if author is not None:
                record = self.workspace.evidence_record(deal.id, sha256, party=author)
        receipt_of = cost_receipts(deal, events).get(sha256)
        if (
            record is not None
            and receipt_of is not None
            and not readable_receipt(
                deal, kept_by=receipt_of, party=who.party, added_by=record.added_by
            )
        ):
            record = None  # a cost's receipt: the deal's two sides of the cost only
        if record is None:
            held = self.workspace.evidence_record(deal.id, sha256)
            if held is not None:
                self.log(
                    who,
                    action="evidence.read",
                    obj=f"evidence {held.sha256}",
                    outcome="refused",
                    ip=ip,
                    deal=deal.id,
                    concerns=held.confidential_to or receipt_of,
                    detail="a confidential file of another party",
                )
            raise NotFound(f"no evidence {sha256[:12]}… in {deal.id}")
        kept_by = record.confidential_to or receipt_of
        if kept_by is not None:
            why = f"confidential to {kept_by}"
            if receipt_of is not None and record.confidential_to is None:
                why = f"a cost's receipt, confidential to {kept_by} and the buyer"
            self.log(
                who,
                action="evidence.read",
                obj=f"evidence {record.sha256} ({record.name})",
                outcome="read",
                ip=ip,
                deal=deal.id,
                concerns=kept_by,
                detail=why + ("" if kept_by == who.party else ", submitted for its decision"),
            )
        return record

    def evidence_list(self, who: Principal, deal: Deal) -> list[EvidenceRecord]:
        """The records ``who``'s party holds or shares, less the cost receipts it may not read."""
        records = self.workspace.evidence(deal.id, party=who.party)
        receipts = cost_receipts(deal, self.workspace.events(deal.id)) if records else {}
        return [
            r
            for r in records
            if r.sha256 not in receipts
            or readable_receipt(
                deal, kept_by=receipts[r.sha256], party=who.party, added_by=r.added_by
            )
        ]
