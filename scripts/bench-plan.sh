#!/usr/bin/env bash
# Plan time and peak memory on large generated catalogs, against DuckDB doing the same job in
# the same run (scripts/bench-duckdb.sql: read the CSV, compute the promo prices of the Running
# category, write the changed cells as JSON), and Python's csv module merely reading the file as
# a second reference. Each command runs 5 times, alternating; the medians, the ratios, peak RSS
# against the file size and the scaling from the first size to the last are printed.
# Usage: scripts/bench-plan.sh [ROWS...]   (default: 100000 1000000; RUNS=5; BIN=path to an
# already built release binary, e.g. one built with symbols for perf, instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/changeset}
[ -n "${BIN:-}" ] || cargo build --release --quiet
venv=target/bench-venv
if ! "$venv/bin/python" -c "import duckdb" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet duckdb
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHANGESET_DATA_DIR="$work/data"
sizes=("${@:-100000 1000000}")
for n in ${sizes[*]}; do
    python3 scripts/gen-catalog.py "$n" > "$work/catalog-$n.csv"
done
"$venv/bin/python" - "$work" "${RUNS:-5}" "$bin" ${sizes[*]} <<'PY'
import json, os, statistics, subprocess, sys, time

work, runs, bin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sizes = [int(n) for n in sys.argv[4:]]
request = "take 10% off all running shoes"

def run(cmd, out):
    """Wall seconds and peak RSS (MiB) of one run, stdout to `out`."""
    with open(out, "wb") as f:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=f)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed ({status}): {cmd}")
    return wall, usage.ru_maxrss / 1024

print(f"load average before: {os.getloadavg()}", file=sys.stderr)
medians = {}
for n in sizes:
    csv = f"{work}/catalog-{n}.csv"
    size_mib = os.path.getsize(csv) / 2**20
    jobs = {
        "changeset": [bin, "plan", request, "--source", csv, "--format", "json"],
        "duckdb": [sys.executable, "scripts/bench-duckdb.py", csv, f"{work}/duckdb-{n}.jsonl"],
        "python_csv": ["python3", "-c", "import csv,sys; sum(1 for _ in csv.reader(open(sys.argv[1])))", csv],
    }
    results = {name: [] for name in jobs}
    for _ in range(runs):
        for name, cmd in jobs.items():
            results[name].append(run(cmd, f"{work}/{name}-{n}.out"))
    plan = json.load(open(f"{work}/changeset-{n}.out"))
    plan_changes = sum(len(op["changes"]) for op in plan["operations"])
    duckdb_changes = sum(1 for _ in open(f"{work}/duckdb-{n}.jsonl"))
    med = {name: (statistics.median(w for w, _ in r), max(m for _, m in r)) for name, r in results.items()}
    medians[n] = med
    print(json.dumps({
        "rows": n,
        "file_mib": round(size_mib, 1),
        "changes": {"changeset": plan_changes, "duckdb": duckdb_changes},
        "median_seconds": {k: round(v[0], 3) for k, v in med.items()},
        "peak_rss_mib": {k: round(v[1], 1) for k, v in med.items()},
        "changeset_rss_per_file_size": round(med["changeset"][1] / size_mib, 2),
        "ratio_changeset_over_duckdb": round(med["changeset"][0] / med["duckdb"][0], 2),
        "ratio_changeset_over_python_csv_read": round(med["changeset"][0] / med["python_csv"][0], 2),
        "runs": {k: [round(w, 3) for w, _ in r] for k, r in results.items()},
    }))
    if plan_changes != duckdb_changes:
        sys.exit(f"changeset planned {plan_changes} changes, DuckDB found {duckdb_changes}")
if len(sizes) > 1:
    small, large = sizes[0], sizes[-1]
    print(json.dumps({
        "scaling": f"{small} -> {large} rows ({large / small:g}x)",
        "changeset_time_ratio": round(medians[large]["changeset"][0] / medians[small]["changeset"][0], 2),
        "duckdb_time_ratio": round(medians[large]["duckdb"][0] / medians[small]["duckdb"][0], 2),
    }))
print(f"load average after: {os.getloadavg()}", file=sys.stderr)
PY
