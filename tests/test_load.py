"""A short run of the load test (scripts/load.sh) against a multi-worker server."""

import os
import re

from conftest import run_script

CHECKS = [
    "every acknowledged time entry exists once",
    "no pack below zero",
    "pack draws + billed + held/refused = logged hours",
    "no timesheet billed twice",
    "no leak",
    "no portal page showed another customer's reference",
]


def test_short_load_run_on_workers_keeps_the_invariants():
    # scripts/test.sh passes its database, where the addons are installed already.
    # A few seconds of load are enough for the invariants (scripts/load.sh measures longer).
    args = ["--modes", "workers", "--users", "6", "--duration", "5", "--self-test"]
    args += ["--customers", "3", "--consultants", "2"]
    if os.environ.get("SUPPORT_LOAD_FROM_DB"):
        args += ["--from-db", os.environ["SUPPORT_LOAD_FROM_DB"]]
    result = run_script("scripts/load.sh", {}, *args, timeout=900)
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-4000:]
    assert "Load test, workers (2 workers + cron): 6 users" in out
    for scenario in ("portal (all)", "consultant (all)", "accountant (all)", "total"):
        assert re.search(rf"{re.escape(scenario)}\s+\d+\s+[\d.]+\s+\d+\s+\d+\s+\d+", out), scenario
    acknowledged = int(re.search(r"time entries acknowledged: (\d+)", out).group(1))
    assert acknowledged > 0, "the consultants logged no time"
    assert "create invoices" in out, "the accountant did not run the invoicing wizard"
    for check in CHECKS:
        assert f"[ok] {check}" in out, check
    # Each check reports the invariant it guards broken when it is broken on purpose.
    assert out.count("' is reported broken") == len(CHECKS), out[-3000:]
    assert "load test: all invariants hold in: workers" in out
