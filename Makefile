# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
COPACT := $(VENV)/bin/copact
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup browser run test lint typecheck bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled once here, for the libraries and for src/: where PYTHONDONTWRITEBYTECODE
# is set (as on this project's machines) Python would otherwise compile every module it imports
# again in every process, and each copact command would start about 2.5x slower.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced
	@$(VENV)/bin/python -m compileall -q src > /dev/null

run: setup
	@echo "== copact check examples/ --strict  (the four reference deals)"
	$(COPACT) check examples/*.yaml --strict
	@echo
	@echo "== copact check examples/flawed/  (deals with a flaw of each rule family)"
	-$(COPACT) check examples/flawed/
	@echo
	@echo "== copact schedule examples/hybrid-dc1.yaml"
	$(COPACT) schedule examples/hybrid-dc1.yaml
	@echo
	@echo "== copact state / exit: the custom component, a missed milestone and the refund"
	$(COPACT) state examples/heat-sensor-housing.yaml -e examples/journals/heat-sensor-housing.jsonl --on 2026-12-28
	$(COPACT) exit examples/heat-sensor-housing.yaml -e examples/journals/heat-sensor-housing.jsonl --trigger missed-milestone --on 2026-12-28
	@echo
	@echo "== copact simulate: 100,000 runs of two deals side by side"
	$(COPACT) simulate examples/hybrid-dc1.yaml examples/heat-sensor-housing.yaml --assumptions examples/hybrid-dc1.risk.yml --runs 100000
	@echo
	@echo "== copact meter / baseline: a month of telemetry settled, the gainshare baseline checked"
	$(COPACT) meter examples/hybrid-dc1.yaml --telemetry examples/telemetry/dc1-2027-03.parquet --windows examples/telemetry/dc1-2027-03-windows.csv --tickets examples/telemetry/dc1-2027-03-tickets.csv --period 2027-03
	$(COPACT) baseline examples/hybrid-dc1.yaml --data examples/baseline/hybrid-dc1-fuel.csv
	@echo
	@echo "== the demo workspace (SQLite in demo-workspace/): the examples registered, a journal imported and verified"
	rm -rf demo-workspace
	$(COPACT) init demo-workspace
	for deal in examples/*.yaml; do $(COPACT) deal add $$deal -w demo-workspace || exit 1; done
	$(COPACT) journal import examples/journals/heat-sensor-housing.jsonl --deal heat-sensor-housing -w demo-workspace
	@echo "   (the scenario journal names its evidence by hash only; its files are not in examples/)"
	$(COPACT) journal verify --deal heat-sensor-housing -w demo-workspace --no-evidence
	@echo
	@echo "== a cost-plus deal from its starter to its first invoice: both parties sign, Volt Works records last month's"
	@echo "   rig hire with its receipt and timesheet, Acme's owner approves it, the month is invoiced (cost + 10% markup + VAT)"
	mkdir -p demo-workspace/inputs
	$(COPACT) new -s cost-plus-reimbursement --buyer "Acme Foods" --supplier "Volt Works" --currency EUR --value 100000 --start 2026-09-01 -o demo-workspace/inputs/cost-plus.yaml
	$(COPACT) deal add demo-workspace/inputs/cost-plus.yaml -w demo-workspace
	$(COPACT) sign acme-foods-volt-works --by owner -w demo-workspace
	$(COPACT) sign acme-foods-volt-works --by account-lead -w demo-workspace
	printf '%%PDF-1.4\n%% rig hire, 40,000.00 EUR\n%%%%EOF\n' > demo-workspace/inputs/rig-receipt.pdf
	printf 'day,hours\n2026-10-01,8\n' > demo-workspace/inputs/rig-hours.csv
	$(COPACT) evidence add acme-foods-volt-works demo-workspace/inputs/rig-receipt.pdf --kind receipts --by account-lead -w demo-workspace
	$(COPACT) evidence add acme-foods-volt-works demo-workspace/inputs/rig-hours.csv --kind timesheets --by account-lead -w demo-workspace
	month=$$(date -u -d "$$(date -u +%Y-%m-01) -1 month" +%Y-%m); \
	  $(COPACT) record-cost acme-foods-volt-works --id rig-hire --period $$month --amount 40000.00 --description "test rig hire" \
	    --evidence $$(sha256sum demo-workspace/inputs/rig-receipt.pdf | cut -d' ' -f1) \
	    --evidence $$(sha256sum demo-workspace/inputs/rig-hours.csv | cut -d' ' -f1) --by account-lead -w demo-workspace && \
	  $(COPACT) review-cost acme-foods-volt-works rig-hire --decision approved --by owner -w demo-workspace && \
	  $(COPACT) issue-cost-invoice acme-foods-volt-works $$month -w demo-workspace
	$(COPACT) invoices acme-foods-volt-works -w demo-workspace
	$(COPACT) deal list -w demo-workspace
	@echo
	@echo "== copact serve --demo: the web app on http://127.0.0.1:8000 (Ctrl-C stops)"
	@echo "   sign in with one of the one-time passwords printed below"
	$(COPACT) serve --demo -w demo-workspace

# Browser tests drive Debian's Chromium; installed here when we may (root, apt), else they skip
# and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null; } || echo "make: chromium not installed; browser tests will skip"; }

test: setup browser
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python bench/check.py
	$(VENV)/bin/python bench/simulate.py
	$(VENV)/bin/python bench/journal.py
	$(VENV)/bin/python bench/fold.py
	$(VENV)/bin/python bench/baseline.py
	$(VENV)/bin/python bench/meter.py
	$(VENV)/bin/python bench/api.py --rate 300

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .hypothesis .mypy_cache .ruff_cache
