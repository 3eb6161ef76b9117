"""Who may end a deal: what a trigger's ``by`` names, and when it names nobody, the buyer for
its own convenience and for what the supplier's side caused (a missed milestone, insolvency,
both settled with the supplier's deduction capped), either party for a change of control. A
supplier that missed its milestone cannot end the deal on those terms itself.

On heat-sensor-housing (Ridgeline buys from Kestrel; ``insolvency: {}`` names nobody) and
saas-integration (whose convenience exit both parties may invoke)."""

from __future__ import annotations

from datetime import date

import pytest

from copact.core.settlement import open_triggers, settle_exit
from copact.errors import RefusedCommand
from tests.conftest import load_example

HEAT = load_example("heat-sensor-housing.yaml")
SAAS = load_example("saas-integration.yaml")
ON = date(2026, 12, 1)


def test_the_supplier_cannot_invoke_the_exit_its_own_side_caused() -> None:
    assert open_triggers(HEAT, [], on=ON, by="kestrel")["insolvency"] == (
        "closed: only ridgeline may invoke it"
    )
    assert open_triggers(HEAT, [], on=ON, by="ridgeline")["insolvency"] == "open"
    with pytest.raises(RefusedCommand, match="only ridgeline may invoke it"):
        settle_exit(HEAT, [], trigger="insolvency", on=ON, by="kestrel")
    assert settle_exit(HEAT, [], trigger="insolvency", on=ON, by="ridgeline").trigger == (
        "insolvency"
    )


def test_a_trigger_that_names_its_invokers_keeps_them() -> None:
    parties = [p.id for p in SAAS.parties]
    for party in parties:  # convenience: {by: [tidewater, cobalt]}
        assert open_triggers(SAAS, [], on=ON, by=party)["convenience"] == "open"
