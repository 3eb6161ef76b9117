"""``copact invoice show`` and ``copact invoice export``: an issued invoice of a workspace deal
as the legal document it is, on the screen or as a file to send.

Both build the document the web builds (``services.invoice_documents``): the journal's invoice
event, the parties' legal details and the tax rule of the deal, where the invoice stands on
``--on`` (default today), and the evidence its lines were accepted on. ``export --as``:

- ``pdf``: the PDF for people (PDF/A-3b), ``NUMBER.pdf``;
- ``facturx``: the same PDF with its CII XML embedded (Factur-X, EN 16931), ``NUMBER.facturx.pdf``;
- ``ubl``: the UBL 2.1 invoice (Peppol BIS Billing 3.0), ``NUMBER.ubl.xml``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from copact.cli.console import fail, now, out
from copact.cli.workspace import WorkspaceOption, open_workspace
from copact.documents.invoice import (
    VAT_CATEGORIES,
    InvoiceDocument,
    address_lines,
    iban_groups,
    rate_text,
)
from copact.documents.legal import PREPAYMENT_INVOICE, PartyDetails
from copact.errors import CopactError
from copact.services.invoice_documents import invoice_document
from copact.services.views import deal_view

__all__ = ["Export", "export", "register", "show"]


class Export(StrEnum):
    """``--as``: what ``copact invoice export`` writes."""

    pdf = "pdf"
    facturx = "facturx"
    ubl = "ubl"


#: the file each format is written to unless ``-o`` names one
SUFFIXES = {Export.pdf: ".pdf", Export.facturx: ".facturx.pdf", Export.ubl: ".ubl.xml"}

Number = Annotated[str, typer.Argument(metavar="NUMBER", help="The invoice number.")]
DealOption = Annotated[str, typer.Option("--deal", help="The deal id in the workspace.")]
OnOption = Annotated[
    str | None,
    typer.Option(
        "--on", help="Say where the invoice stands on this date, YYYY-MM-DD (default: today)."
    ),
]


def _document(workspace: Path | None, deal: str, number: str, on: str | None) -> InvoiceDocument:
    day: date = now().date()
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            fail(f"--on must be a date YYYY-MM-DD, got {on!r}")
    ws = open_workspace(workspace, readonly=True)
    try:
        spec = ws.deal(deal)
        events = ws.events(deal)
        doc = invoice_document(deal_view(spec, events, today=day), number, events)
        doc.legal  # noqa: B018  # a party the deal lacks is said here, not mid-print
    except (CopactError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    return doc


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _party(label: str, p: PartyDetails) -> Text:
    text = Text()
    text.append(f"{label}\n", style="dim")
    text.append(p.legal_name, style="bold")
    if p.name != p.legal_name:
        text.append(f" ({p.name})", style="dim")
    for row in address_lines(p.address) or ["(no address)"]:
        text.append(f"\n{row}")
    for name, value in (
        ("VAT id", p.vat_id),
        ("Tax id", p.tax_id),
        ("Registration", p.registration),
        ("E-mail", p.email),
    ):
        if value:
            text.append(f"\n{name}: ", style="dim")
            text.append(value)
    return text


def _layout(doc: InvoiceDocument) -> Group:
    inv, st = doc.legal, doc.standing
    head = Text()
    head.append(f"{doc.title} {inv.number}", style="bold")
    head.append(f"  ({doc.deal.title}, deal {doc.deal.id})\n", style="dim")
    head.append(f"issued {inv.issued}  due {inv.due}  {inv.currency}")
    if doc.overdue:
        head.append("  overdue", style="bold red")
    parties = Table.grid(padding=(0, 4))
    parties.add_row(_party("Seller", inv.seller), _party("Buyer", inv.buyer))

    lines = Table(title=None, show_edge=False)
    for column, justify in (
        ("#", "right"),
        ("description", "left"),
        ("qty", "right"),
        ("unit price", "right"),
        ("VAT", "right"),
        (f"net {inv.currency}", "right"),
    ):
        lines.add_column(column, justify=justify)  # type: ignore[arg-type]
    for n, line in enumerate(inv.lines, 1):
        name = line.name if line.name == line.id else f"{line.name} [dim]({line.id})[/]"
        lines.add_row(
            str(n),
            name,
            f"{line.quantity.normalize():f}",
            _money(line.unit_price),
            f"{line.vat_category} {rate_text(line.vat_rate)}",
            _money(line.net),
        )

    vat = Table(show_edge=False, title="VAT breakdown", title_justify="left")
    for column in ("category", "rate", "taxable", "VAT"):
        vat.add_column(column, justify="left" if column == "category" else "right")
    for g in inv.vat:
        words = VAT_CATEGORIES.get(g.category, g.category)
        reason = g.exemption_reason if g.exemption_reason not in (None, words) else None
        label = f"{g.category} {words}" + (f" [dim]({reason})[/]" if reason else "")
        vat.add_row(label, rate_text(g.rate), _money(g.taxable), _money(g.tax))

    totals = Table.grid(padding=(0, 2))
    totals.add_column()
    totals.add_column(justify="right")
    gross = inv.tax_total != 0
    totals.add_row("Total net", _money(inv.tax_exclusive))
    totals.add_row("VAT", _money(inv.tax_total))
    totals.add_row("Total incl. VAT" if gross else "Total", _money(inv.tax_inclusive))
    if inv.prepaid:
        totals.add_row("Prepaid advance deducted", f"−{_money(inv.prepaid)}")
    totals.add_row("[bold]Amount due[/]", f"[bold]{inv.currency} {_money(inv.payable)}[/]")

    pay = Text()
    pay.append("Payment: ", style="dim")
    pay.append(f"{inv.payment_terms}; reference {inv.number}")
    if inv.payment is not None:
        if inv.payment.iban:
            pay.append(f"\nIBAN {iban_groups(inv.payment.iban)}")
            if inv.payment.bic:
                pay.append(f"  BIC {inv.payment.bic}")
        if inv.payment.account:
            pay.append(f"\nAccount: {inv.payment.account}")
    else:
        pay.append("\nthe seller has given no payment account in the deal", style="red")

    net = " (net of VAT)" if doc.standing_basis == "net" else ""
    standing = Text()
    standing.append(f"Where it stands on {doc.on}{net}: ", style="dim")
    advance = (
        "" if doc.type_code == PREPAYMENT_INVOICE else f"advance {_money(st.from_advance.amount)}, "
    )
    standing.append(
        f"{advance}paid {_money(st.paid.amount)}, "
        f"outstanding {_money(st.outstanding.amount)}, {st.status}"
    )
    if doc.overdue:
        standing.append(" (overdue)", style="bold red")

    evidence = Text()
    evidence.append("Supporting documents:", style="dim")
    for sha, name in inv.supporting:
        evidence.append(f"\n  {name}  sha256 {sha}")
    if not inv.supporting:
        evidence.append(" none listed")
    return Group(head, Text(), parties, Text(), lines, vat, Text(), totals, Text(), pay, standing,
                 evidence)  # fmt: skip


def show(
    number: Number,
    deal: DealOption,
    on: OnOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """An issued invoice as the legal document: seller and buyer with their addresses and tax
    ids, the lines with VAT, the VAT breakdown, the totals and the amount due, how to pay,
    where it stands and the evidence it rests on.

    Example: `copact invoice show hybrid-dc1-001 --deal hybrid-dc1`
    """
    out().print(_layout(_document(workspace, deal, number, on)))


def export(
    number: Number,
    deal: DealOption,
    as_: Annotated[
        Export, typer.Option("--as", help="pdf, facturx (PDF/A-3 with CII XML) or ubl.")
    ] = Export.pdf,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The file to write (default: NUMBER.pdf, .facturx.pdf, .ubl.xml).",
        ),
    ] = None,
    on: OnOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write an issued invoice to send: its PDF, its Factur-X PDF (EN 16931 CII XML embedded in
    the PDF/A-3) or its UBL 2.1 XML (Peppol BIS 3).

    Example: `copact invoice export hybrid-dc1-001 --deal hybrid-dc1 --as facturx`
    """
    doc = _document(workspace, deal, number, on)
    data = render(doc, as_)
    target = output or Path(f"{number.replace('/', '_')}{SUFFIXES[as_]}")
    try:
        target.write_bytes(data)
    except OSError as exc:
        fail(f"{target}: cannot write it ({exc.strerror or exc})")
    out().print(f"{doc.title} {number} ({as_.value}) written to {target} ({len(data):,} bytes)")


def render(doc: InvoiceDocument, as_: Export) -> bytes:
    """The bytes of ``doc`` in the format ``as_``."""
    if as_ is Export.facturx:
        from copact.documents.facturx import facturx_pdf

        return facturx_pdf(doc)
    if as_ is Export.ubl:
        from copact.documents.ubl import ubl_xml

        return ubl_xml(doc.legal)
    from copact.documents.invoice import render_invoice_pdf

    return render_invoice_pdf(doc)


def register(invoice_app: typer.Typer) -> None:
    """Add ``show`` and ``export`` to the ``copact invoice`` sub-app."""
    invoice_app.command("show")(show)
    invoice_app.command("export")(export)
