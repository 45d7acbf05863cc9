#!/usr/bin/env bash
# `changeset apply` of the "take 10% off all running shoes" plan on a generated catalog against
# `cp` + `sync` of the same file, alternating, 5 runs each, medians. The apply's own `write_ms`
# (write the file, fsync, rename; from the receipt) is printed beside its total time, which also
# re-reads and checks the catalog, stores the receipt and reads the cells back.
# Usage: scripts/bench-apply.sh [ROWS]   (default 1000000; RUNS=5; BIN as in bench-plan.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/changeset}
[ -n "${BIN:-}" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=${1:-1000000}
python3 scripts/gen-catalog.py "$rows" > "$work/pristine.csv"
sed 's/^auto_approve_max_tier = 1/auto_approve_max_tier = 3/' rules/default.toml > "$work/rules.toml"
cp "$work/pristine.csv" "$work/catalog.csv"
CHANGESET_DATA_DIR="$work/data-plan" "$bin" plan "take 10% off all running shoes" \
    --source "$work/catalog.csv" --rules "$work/rules.toml" -o "$work/plan.json" --quiet > /dev/null
python3 - "$work" "$bin" "${RUNS:-5}" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time

work, bin, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
catalog = f"{work}/catalog.csv"
apply_s, write_ms, cp_s = [], [], []
for i in range(runs):
    shutil.copyfile(f"{work}/pristine.csv", catalog)
    subprocess.run(["sync"], check=True)
    env = dict(os.environ, CHANGESET_DATA_DIR=f"{work}/data-{i}")
    start = time.perf_counter()
    out = subprocess.run([bin, "apply", f"{work}/plan.json", "--source", catalog, "--rules",
                          f"{work}/rules.toml", "--no-input", "--format", "json"],
                         env=env, check=True, capture_output=True, text=True)
    apply_s.append(time.perf_counter() - start)
    receipt = json.loads(out.stdout)
    write_ms.append(receipt.get("timings", receipt).get("write_ms", float("nan")))
    copy = f"{work}/copy.csv"
    start = time.perf_counter()
    subprocess.run(f"cp {catalog} {copy} && sync", shell=True, check=True)
    cp_s.append(time.perf_counter() - start)
    os.remove(copy)
med = statistics.median
print(json.dumps({
    "file_mib": round(os.path.getsize(catalog) / 2**20, 1),
    "apply_total_seconds": round(med(apply_s), 3),
    "apply_write_fsync_seconds": round(med(write_ms) / 1000, 3),
    "cp_sync_seconds": round(med(cp_s), 3),
    "ratio_write_over_cp_sync": round(med(write_ms) / 1000 / med(cp_s), 2),
    "load_average": os.getloadavg(),
}))
PY
