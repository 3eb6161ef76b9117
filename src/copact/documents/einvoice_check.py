"""Is an e-invoice valid? Its XSD and the official EN 16931 Schematron, offline.

:func:`check_einvoice` takes the bytes of a file and tells what it is (a Factur-X / CII XML, a
UBL 2.1 Invoice or CreditNote, or a Factur-X PDF whose embedded XML it reads with the
``factur-x`` library), checks it against its XSD and runs the official EN 16931 Schematron
(compiled to XSLT, as ``factur-x`` ships it) with Saxon-HE (``saxonche``) to SVRL::

    CII (Factur-X EN 16931)  facturx-en16931/Factur-X_EN16931.xsd
                             facturx-en16931/FACTUR-X_EN16931.xslt
    UBL 2.1 Invoice          ubl-2.1/maindoc/UBL-Invoice-2.1.xsd
    UBL 2.1 CreditNote       ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd
                             ubl-2.1/EN16931-UBL-validation.xslt

Each ``failed-assert`` and ``successful-report`` of the SVRL is a :class:`Finding` (its flag,
``fatal`` or ``warning``, the rule id such as ``BR-CO-15``, the message and the XPath where
it applies). A file is valid when its XSD check passed and no finding is fatal. The XSD and
the XSLT are compiled once per process (the Schematron takes seconds to compile), on first
use. A file that is no e-invoice at all is :class:`UnreadableInvoice`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from lxml import etree

__all__ = [
    "CheckReport",
    "Finding",
    "Kind",
    "UnreadableInvoice",
    "check_einvoice",
    "detect",
]

Kind = Literal["cii", "ubl-invoice", "ubl-creditnote"]

_CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
_UBL_ROOTS: dict[str, Kind] = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "ubl-invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "ubl-creditnote",
}
_XSD: dict[Kind, str] = {
    "cii": "facturx-en16931/Factur-X_EN16931.xsd",
    "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
_SCHEMATRON: dict[Kind, str] = {
    "cii": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl-invoice": "ubl-2.1/EN16931-UBL-validation.xslt",
    "ubl-creditnote": "ubl-2.1/EN16931-UBL-validation.xslt",
}
_SVRL = "http://purl.oclc.org/dsdl/svrl"
#: ``*:Invoice[namespace-uri()='urn:…'][1]`` in an SVRL location reads ``Invoice[1]``
_NAMESPACED = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")


class UnreadableInvoice(Exception):
    """The bytes are no XML e-invoice this checker knows, nor a PDF with one embedded."""


@dataclass(frozen=True)
class Finding:
    """One failed assert (or successful report) of the Schematron."""

    flag: str  # "fatal" or "warning" (the Schematron's own flag)
    rule: str  # e.g. "BR-CO-15"
    message: str
    location: str  # the XPath of the element it is about

    @property
    def fatal(self) -> bool:
        return self.flag == "fatal"


@dataclass(frozen=True)
class CheckReport:
    """What the checks found in one e-invoice."""

    kind: Kind
    from_pdf: bool  # the XML was read out of a Factur-X PDF
    xsd_errors: tuple[str, ...] = ()  # "line 12: …" per XSD error
    findings: tuple[Finding, ...] = field(default=())

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.fatal)

    @property
    def ok(self) -> bool:
        """The XSD passed and no finding is fatal (warnings are allowed)."""
        return not self.xsd_errors and not self.fatal

    @property
    def schema(self) -> str:
        return {"cii": "Factur-X CII (EN 16931)", "ubl-invoice": "UBL 2.1 Invoice"}.get(
            self.kind, "UBL 2.1 CreditNote"
        )


def _resource(relative: str) -> Path:
    return Path(str(files("facturx").joinpath("xsd_and_schematron", relative)))


@cache
def _schema(kind: Kind) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_resource(_XSD[kind]))))


class _Saxon:
    """One Saxon processor per process and each Schematron compiled once, on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processor: Any = None
        self._compiled: dict[str, Any] = {}

    def transform(self, xslt: str, xml: bytes) -> bytes:
        with self._lock:  # SaxonC is not to be shared across threads unguarded
            if self._processor is None:
                from saxonche import PySaxonProcessor

                self._processor = PySaxonProcessor(license=False)
            proc = self._processor
            exe = self._compiled.get(xslt)
            if exe is None:
                compiler = proc.new_xslt30_processor()
                exe = compiler.compile_stylesheet(stylesheet_file=str(_resource(xslt)))
                self._compiled[xslt] = exe
            node = proc.parse_xml(xml_text=xml.decode("utf-8"))
            out = exe.transform_to_string(xdm_node=node)
            return str(out).encode("utf-8")


_SAXON = _Saxon()


def detect(data: bytes) -> tuple[Kind, bytes, bool]:
    """What ``data`` is: its kind, its XML (read out of the PDF for a Factur-X PDF), and
    whether it came from a PDF. :class:`UnreadableInvoice` when it is none of them."""
    from_pdf = data.lstrip()[:5] == b"%PDF-"
    xml = _xml_of_pdf(data) if from_pdf else data
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as e:
        raise UnreadableInvoice(f"not well-formed XML: {e}") from None
    tag = root.tag if isinstance(root.tag, str) else repr(root.tag)
    if tag == _CII_ROOT:
        return "cii", xml, from_pdf
    if tag in _UBL_ROOTS:
        return _UBL_ROOTS[tag], xml, from_pdf
    raise UnreadableInvoice(
        f"the root element {tag} is neither a CII CrossIndustryInvoice nor a UBL 2.1 "
        "Invoice or CreditNote"
    )


def _xml_of_pdf(data: bytes) -> bytes:
    from facturx import get_facturx_xml_from_pdf

    try:
        _, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
    except Exception as e:  # pypdf's many errors for a damaged file
        raise UnreadableInvoice(f"cannot read the PDF: {e}") from None
    if not xml:
        raise UnreadableInvoice("the PDF has no embedded factur-x.xml (it is no Factur-X PDF)")
    return bytes(xml)


def _xsd_errors(kind: Kind, xml: bytes) -> tuple[str, ...]:
    schema = _schema(kind)
    doc = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    if schema.validate(doc):
        return ()
    return tuple(f"line {e.line}: {e.message}" for e in schema.error_log)


def _findings(svrl: bytes) -> tuple[Finding, ...]:
    root = etree.fromstring(svrl)
    found = []
    for el in root.iter(f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report"):
        text = el.find(f"{{{_SVRL}}}text")
        message = " ".join((text.text or "").split()) if text is not None else ""
        found.append(
            Finding(
                flag=el.get("flag") or "fatal",
                rule=el.get("id") or "?",
                message=message,
                location=_NAMESPACED.sub(r"\1", el.get("location") or ""),
            )
        )
    return tuple(found)


def check_einvoice(data: bytes) -> CheckReport:
    """Check one e-invoice (CII or UBL XML, or a Factur-X PDF): its XSD and the EN 16931
    Schematron. Raises :class:`UnreadableInvoice` for anything else."""
    kind, xml, from_pdf = detect(data)
    return CheckReport(
        kind=kind,
        from_pdf=from_pdf,
        xsd_errors=_xsd_errors(kind, xml),
        findings=_findings(_SAXON.transform(_SCHEMATRON[kind], xml)),
    )
