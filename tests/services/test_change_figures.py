"""A change order cannot make a deal worth nothing, less than nothing or more than a figure can
hold: the patched deal loads through the same model as a deal file, so `{"value": -5}` is
refused when it is proposed, with the reason, instead of becoming version 2 with negative
milestones and invoices; and `{"value": 1e308}` is refused instead of failing to round
(heat-sensor-housing on a real SQLite workspace, value 185,000)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from tests.conftest import DayClock
from tests.services.test_operations import (  # noqa: F401
    DEAL_ID,
    SIGNED,
    clock,
    ws,
)
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)


def _propose(ws: Workspace, clock: DayClock, patch: dict[str, Any]) -> None:  # noqa: F811
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID, change="co-1", by="luis", amount=Decimal("5000"), patch=patch
        ),
        uow=ws,
        clock=clock,
    )


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"value": -5}, r"E002 value: must be above 0 \(got -5\)"),
        ({"value": 0}, r"E002 value: must be above 0 \(got 0\)"),
        ({"value": 1e308}, "E002 value: a figure of the deal has at most 12 digits"),
        ({"value": "1e400"}, "E002 value: a figure of the deal has at most 12 digits"),
        ({"value": 10**12}, "E002 value: a figure of the deal has at most 12 digits"),
        ({"prepaid": {"amount": -30000}}, r"E002 prepaid\.amount: must be above 0"),
        (
            {
                "business-case": {
                    "flows": [
                        {"party": "kestrel", "label": "x", "amount": "1e400", "from": "2027-01-01"}
                    ]
                }
            },
            r"E002 business-case\.flows\[0\]\.amount: a figure of the deal has at most 12",
        ),
    ],
    ids=["negative", "zero", "float-1e308", "1e400", "13-digits", "prepaid", "flow"],
)
def test_a_patch_to_a_figure_no_deal_can_have_is_refused_with_the_reason(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
    patch: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(
        RefusedCommand, match=f"change co-1: the amended deal would not load: {reason}"
    ):
        _propose(ws, clock, patch)
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED  # nothing proposed
    assert len(ws.versions(DEAL_ID)) == 1
    assert ws.deal(DEAL_ID).value == Decimal(185000)


def test_a_patch_to_a_sensible_value_is_still_proposed(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    _propose(ws, clock, {"value": 190000})
    assert [e.type for e in ws.events(DEAL_ID)][-1] == "change-proposed"
