"""The same bytes added again keep the record they were first held under; asking for another
kind or visibility is refused with what is held, never answered "added": Luis of Kestrel
shares a drawing, then adds the same file as a confidential test report, and is told it is
already held as a drawing, visible to both parties. The same file added again as it was
held is the same record (a retry)."""

from __future__ import annotations

import io

import pytest

from copact.errors import RefusedCommand
from copact.services.workspace import Workspace
from copact.store.journal import EvidenceRecord
from tests.services.test_operations import DEAL_ID, PDF, clock, ws  # noqa: F401  (fixtures)
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)


def _add(ws: Workspace, kind: str, *, confidential: bool = False) -> EvidenceRecord:  # noqa: F811
    return ws.add_evidence(
        DEAL_ID, io.BytesIO(PDF), name="n2.pdf", kind=kind, by="luis", confidential=confidential
    )


def test_a_shared_file_cannot_be_made_confidential_or_renamed_by_adding_it_again(
    ws: Workspace,  # noqa: F811
) -> None:
    first = _add(ws, "drawing")
    assert _add(ws, "drawing") == first  # a retry: the same record
    with pytest.raises(RefusedCommand) as refused:
        _add(ws, "test-report", confidential=True)
    message = str(refused.value)
    assert "already held as n2.pdf (drawing, visible to both parties, added by luis)" in message
    assert "cannot be added again as test-report, confidential" in message
    with pytest.raises(RefusedCommand, match="cannot be added again as drawing, confidential"):
        _add(ws, "drawing", confidential=True)
    held = ws.evidence(DEAL_ID, party=None)
    assert [(r.kind, r.confidential_to) for r in held] == [("drawing", None)]
