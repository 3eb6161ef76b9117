"""I301–I306: who brings what, who owns what is made, and who may use it."""

from __future__ import annotations

from collections.abc import Iterator

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

MAX_EXCLUSIVE_MONTHS = 36


def funding_parties(deal: Deal) -> list[str]:
    """Parties that put money in: buyers paying milestones, a prepayment or a volume, and any
    party with a funding share above zero in some phase."""
    payers: list[str] = []
    pays = bool(deal.milestones and deal.value) or deal.prepaid is not None
    if pays or deal.volume is not None:
        payers.extend(p.id for p in deal.buyers)
    for entry in deal.funding:
        for party, share in entry.shares.items():
            if share.fraction > 0 and party not in payers:
                payers.append(party)
    return payers


def foreground_rights(deal: Deal) -> set[str]:
    """Parties that own foreground IP or hold a licence-back to it."""
    fg = deal.ip.foreground if deal.ip else None
    if fg is None:
        return set()
    holders: set[str] = set()
    if fg.model == "joint":
        holders.update(p.id for p in deal.parties)
    if fg.owner:
        holders.add(fg.owner)
    holders.update(f.owner for f in fg.fields)
    if fg.license_back:
        holders.add(fg.license_back.to)
    return holders


@rule(
    "I301",
    "no-background-schedule",
    Severity.ERROR,
    "a party has no background IP schedule",
    hint="list what the party brings under `ip.background.PARTY` (`[]` if nothing)",
)
def no_background_schedule(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every party has an entry under `ip.background`: the patents, code,
    data, designs and know-how it brings into the project. An empty list says it brings none.

    **Why.** "Everything we touch becomes jointly owned" is a deal-killer or a future
    lawsuit. A schedule written before work starts is the only proof of what each side owned
    before.

    **Example.**

        ip: {background: {acme: [{item: 2025 site load data, kind: data}]}}   # voltworks?

    **Use instead.** `voltworks: [{item: HybridCtl dispatch firmware v3, kind: software}]`.
    """
    background = deal.ip.background if deal.ip else None
    for party in deal.parties:
        if background is None:
            yield Finding("", f"{party.id} has no background IP schedule (no `ip` section)")
        elif party.id not in background:
            yield Finding("/ip/background", f"{party.id} has no background IP schedule")


@rule(
    "I302",
    "foreground-undefined",
    Severity.ERROR,
    "foreground IP ownership undefined",
    hint="set `ip.foreground.model` (sole, joint or field-split) with its owner(s)",
)
def foreground_undefined(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `ip.foreground` says who owns what the collaboration creates: a
    `model` of `sole` with an `owner`, `joint`, or `field-split` with `fields` and owners.

    **Why.** Foreground IP is what the money buys. Left undefined, ownership falls to
    whatever the law of the place says, which is rarely what either side assumed.

    **Example.**

        ip: {background: {...}}          # no foreground

    **Use instead.** `foreground: {model: field-split, fields: [{field: data-center backup
    power controls, owner: acme}, {field: everything else, owner: voltworks}]}`.
    """
    fg = deal.ip.foreground if deal.ip else None
    if fg is None:
        yield Finding("/ip" if deal.ip else "", "no foreground IP terms (`ip.foreground`)")
    elif fg.model is None:
        yield Finding("/ip/foreground", "foreground IP has no ownership `model`")
    elif fg.model == "sole" and fg.owner is None:
        yield Finding("/ip/foreground", "sole ownership of foreground IP names no `owner`")
    elif fg.model == "field-split" and not fg.fields:
        yield Finding("/ip/foreground", "a field split of foreground IP lists no `fields`")


@rule(
    "I303",
    "joint-without-terms",
    Severity.WARNING,
    "joint ownership without terms for consent to license and enforce",
    hint="add `joint-terms: {consent-to-license: ..., enforcement: ...}`",
)
def joint_without_terms(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Jointly owned foreground IP has `joint-terms` that say how a licence
    is granted (`consent-to-license`) and who enforces the rights (`enforcement`).

    **Why.** Joint ownership sounds fair but stalls: each owner may need the other's consent
    to monetise or sue. Agree on the mechanics before there is something worth fighting over.

    **Example.**

        foreground: {model: joint}

    **Use instead.** `joint-terms: {consent-to-license: not unreasonably withheld within 30
    days, enforcement: the party whose field is infringed, at its cost}`.
    """
    fg = deal.ip.foreground if deal.ip else None
    if fg is None or fg.model != "joint":
        return
    terms = fg.joint_terms
    missing = []
    if terms is None or not terms.consent_to_license:
        missing.append("consent-to-license")
    if terms is None or not terms.enforcement:
        missing.append("enforcement")
    if missing:
        where = "/ip/foreground/joint-terms" if terms else "/ip/foreground"
        yield Finding(where, f"joint ownership without {' and '.join(missing)} terms")


@rule(
    "I304",
    "funder-without-licence",
    Severity.WARNING,
    "the funding party gets no licence to what it funds",
    hint="give the funding party ownership of a field or a `license-back`",
)
def funder_without_licence(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every party that funds the work (a buyer paying milestones, a
    prepayment or a volume; any party with a funding share) owns some foreground IP or holds
    a `license-back` to it.

    **Why.** Paying for development and then licensing the result back at list price is the
    classic co-investment regret. The funder's right to use what it paid for is written
    before the money moves.

    **Example.**

        foreground: {model: sole, owner: voltworks}      # acme pays 70% of the build

    **Use instead.** `license-back: {to: acme, scope: non-exclusive, field: own sites}`.
    """
    if not deal.ip or not deal.ip.foreground:
        return  # I302 says the foreground is undefined
    holders = foreground_rights(deal)
    for party in funding_parties(deal):
        if party not in holders and deal.party(party) is not None:
            yield Finding("/ip/foreground", f"{party} funds the work but gets no licence to it")


@rule(
    "I305",
    "broad-exclusivity",
    Severity.WARNING,
    "exclusivity not narrow",
    hint="limit it by field, region or customer type, for at most 36 months",
)
def broad_exclusivity(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `ip.exclusivity` is limited by at least one of field, region or
    customer type, and ends: `months` set and at most 36.

    **Why.** Broad exclusivity is expensive and often unenforceable; the supplier prices in
    every market it gives up. Ask only for the exclusivity the revenue or strategy justifies.

    **Example.**

        exclusivity: {holder: acme}

    **Use instead.** `exclusivity: {holder: acme, field: data-center backup power, region:
    US-CA, customers: SMB colocation, months: 24}`.
    """
    ex = deal.ip.exclusivity if deal.ip else None
    if ex is None:
        return
    if not (ex.field or ex.region or ex.customers):
        yield Finding("/ip/exclusivity", "exclusivity has no field, region or customer limit")
    if ex.months is None:
        yield Finding("/ip/exclusivity", "exclusivity has no end (`months`)")
    elif ex.months > MAX_EXCLUSIVE_MONTHS:
        yield Finding(
            "/ip/exclusivity/months",
            f"exclusivity runs {ex.months} months, more than {MAX_EXCLUSIVE_MONTHS}",
        )


@rule(
    "I306",
    "unjustified-exclusivity",
    Severity.INFO,
    "exclusivity without a volume commitment or payment that justifies it",
    hint="pair exclusivity with a volume commitment or a payment by its holder",
)
def unjustified_exclusivity(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The holder of an exclusivity pays for it: it is a party that funds
    the work (milestones, prepayment, funding shares) or commits to a volume.

    **Why.** Exclusivity costs the supplier the other customers it turns away. A supplier
    that grants it for nothing will look for a way out of it.

    **Example.**

        exclusivity: {holder: acme, field: ..., months: 24}    # acme pays nothing

    **Use instead.** A `volume: {commitment: ...}` by the holder, or its funding share.
    """
    ex = deal.ip.exclusivity if deal.ip else None
    if ex is None:
        return
    if ex.holder not in funding_parties(deal):
        yield Finding("/ip/exclusivity/holder", f"{ex.holder} holds exclusivity but pays nothing")
