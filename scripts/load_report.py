"""Figures of one load test run (scripts/load.sh): per scenario and request, the requests per
second, median and 95th-percentile latency and the errors, from what locustfile.py recorded.

    python load_report.py MODE SHAPE USERS RESULT_JSON
"""

import json
import sys
from collections import Counter, defaultdict


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))] if values else 0.0


def scenario_of(name):
    return name.split(":")[0] if ":" in name else "other"


def row(label, samples, seconds):
    times = [time for time, _failed in samples]
    errors = sum(failed for _time, failed in samples)
    return (
        f"  {label:<38} {len(samples):>8} {len(samples) / seconds:>7.2f} "
        f"{percentile(times, 0.5):>9.0f} {percentile(times, 0.95):>8.0f} {errors:>7}"
    )


def main():
    mode, shape, users, path = sys.argv[1:5]
    result = json.load(open(path))
    seconds = max(result.get("seconds", 1.0), 1.0)
    start = result.get("measured_from")
    by_name = defaultdict(list)
    by_scenario = defaultdict(list)
    logins = []
    for name, time, failed, at in result["requests"]:
        if start and at < start:
            logins.append((time, failed))
            continue
        by_name[name].append((time, failed))
        by_scenario[scenario_of(name)].append((time, failed))
    print(f"Load test, {mode} ({shape}): {users} users for {seconds:.0f} s")
    if start:
        print(
            f"  (measured after all users logged in: {result['ramp_up']:.0f} s for "
            f"{len(logins)} requests, median {percentile([t for t, _f in logins], 0.5):.0f} ms)"
        )
    else:
        print("  WARNING: not every user logged in before the end: all requests are counted")
    print(
        f"  {'scenario / request':<38} {'requests':>8} {'req/s':>7} {'median ms':>9} "
        f"{'p95 ms':>8} {'errors':>7}"
    )
    for scenario in sorted(by_scenario):
        print(row(f"{scenario} (all)", by_scenario[scenario], seconds))
        for name in sorted(n for n in by_name if scenario_of(n) == scenario):
            print(row(f"  {name.split(': ', 1)[-1]}", by_name[name], seconds))
    print(row("total", [s for samples in by_name.values() for s in samples], seconds))
    print(
        f"  time entries acknowledged: {len(result['acks'])}, failed: {len(result['unacked'])}; "
        f"invoicing runs: {len(result['invoicing'])}"
    )
    for (name, message), count in Counter(map(tuple, result["errors"])).most_common(5):
        print(f"  error x{count} in {name}: {message.splitlines()[0][:150]}")


if __name__ == "__main__":
    main()
