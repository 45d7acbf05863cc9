#!/usr/bin/env bash
# `changeset audit verify` on a store of 10,000 receipts against `sha256sum` over the same bytes
# (the receipts' canonical JSON as stored, one per line: what `audit export` writes), alternating,
# 5 runs each, medians. The store is made once by 10,000 applies of alternating prices to the
# sample catalog (auto-approved; a few minutes) and kept in target/bench-audit-N for later runs.
# Usage: scripts/bench-audit.sh [RECEIPTS]   (default 10000; RUNS=5; BIN as in bench-plan.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/changeset}
[ -n "${BIN:-}" ] || cargo build --release --quiet
count=${1:-10000}
store=target/bench-audit-$count
if [ ! -f "$store/done" ]; then
    rm -rf "$store"
    mkdir -p "$store"
    cp examples/catalog.csv "$store/catalog.csv"
    sed 's/^auto_approve_max_tier = 1/auto_approve_max_tier = 3/' rules/default.toml > "$store/rules.toml"
    for i in $(seq 1 "$count"); do
        CHANGESET_DATA_DIR="$store/data" "$bin" apply "set STR-001 price to $((100 + i % 2))" \
            --source "$store/catalog.csv" --rules "$store/rules.toml" --no-input --quiet > /dev/null
    done
    touch "$store/done"
fi
CHANGESET_DATA_DIR="$store/data" "$bin" audit export --out "$store/receipts.jsonl"
python3 - "$store" "$bin" "${RUNS:-5}" "$count" <<'PY'
import json, os, statistics, subprocess, sys, time

store, bin, runs, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
env = dict(os.environ, CHANGESET_DATA_DIR=f"{store}/data")
exported = f"{store}/receipts.jsonl"
jobs = {
    "audit_verify": [bin, "audit", "verify", "--format", "json"],
    "sha256sum": ["sha256sum", exported],
}
load_before = os.getloadavg()
times = {name: [] for name in jobs}
for _ in range(runs):
    for name, cmd in jobs.items():
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        times[name].append(time.perf_counter() - start)
        if name == "audit_verify" and json.loads(out.stdout).get("receipts") != count:
            sys.exit(f"audit verify did not verify {count} receipts: {out.stdout}")
med = {name: statistics.median(t) for name, t in times.items()}
size = os.path.getsize(exported)
print(json.dumps({
    "receipts": count,
    "canonical_mib": round(size / 2**20, 1),
    "median_seconds": {k: round(v, 3) for k, v in med.items()},
    "verify_speed_relative_to_sha256sum": round(med["sha256sum"] / med["audit_verify"], 2),
    "runs": {k: [round(x, 3) for x in v] for k, v in times.items()},
    "load_average_before_after": [load_before, os.getloadavg()],
}))
PY
