#!/usr/bin/env bash
# The approval gate under load, on a release build: ROWS-row generated CSV catalog, PLANS
# concurrent `POST /v1/plans` (one product each), then APPLIES plans of an auto-approved tier
# POSTed to /v1/applies concurrently (each twice, as a racing retry) and long-polled until final;
# stale ones (other rows written since their plan) are planned and applied again until all are.
# It runs the CI test tests/it/gate_load.rs (which checks every answer, the catalog and one
# receipt per plan) at full size and prints throughput and p50/p99/max latency per phase.
# Usage: scripts/bench-gate.sh [ROWS [PLANS [APPLIES]]]   (default 10000 200 50; CI runs 10000 50 20)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d tests/support/idp/node_modules ] ||
    npm ci --prefix tests/support/idp --no-audit --no-fund --loglevel=error
export GATE_LOAD_ROWS=${1:-10000} GATE_LOAD_PLANS=${2:-200} GATE_LOAD_APPLIES=${3:-50}
out=$(cargo test --release --locked --quiet --test it gate_load:: -- --nocapture --test-threads 1 2>&1) || {
    printf '%s\n' "$out" >&2
    exit 1
}
figures=$(printf '%s\n' "$out" | sed -n 's/^gate-load //p')
python3 - "$figures" <<'PY'
import json, os, sys

r = json.loads(sys.argv[1])
print(f"catalog {r['rows']:,} rows; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
print(f"{'phase':<18} {'requests':>8} {'wall s':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for phase in ("plans", "applies"):
    f = r[phase]
    print(f"{f['what']:<18} {f['requests']:>8} {f['wall_s']:>7} {f['per_s']:>7} "
          f"{f['p50_ms']:>8} {f['p99_ms']:>8} {f['max_ms']:>8}")
print(f"first round: {r['stale_in_first_round']} of {r['applies']['requests'] // 2} applies stale "
      f"(other rows written since their plan); all written once after {r['rounds']} round(s), "
      f"{r['all_applied_s']} s")
PY
