#!/usr/bin/env bash
# Plan time and peak memory on large generated catalogs, against a baseline measured in the same
# run: Python's csv module merely reading the same file (no parsing of the request, no diffs,
# no policy). Usage: scripts/bench-plan.sh [ROWS...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/changeset
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHANGESET_DATA_DIR="$work/data"

# Wall seconds and peak RSS (MiB) of a command, from one run.
measure() {
    local start end rss
    start=$(date +%s.%N)
    rss=$(/usr/bin/env python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
)
    end=$(date +%s.%N)
    echo "$(echo "$end - $start" | bc -l) $rss"
}

for rows in "${@:-100000 1000000}"; do
    for n in $rows; do
        csv="$work/catalog-$n.csv"
        python3 scripts/gen-catalog.py "$n" > "$csv"
        read -r plan_s plan_mb < <(measure "$bin" plan "take 10% off all running shoes" --source "$csv" --format json)
        read -r base_s base_mb < <(measure python3 -c "import csv,sys; sum(1 for _ in csv.reader(open(sys.argv[1])))" "$csv")
        ratio=$(echo "$base_s / $plan_s" | bc -l)
        printf '{"rows": %d, "plan_seconds": %.3f, "plan_peak_mib": %d, "baseline_csv_read_seconds": %.3f, "baseline_peak_mib": %d, "speed_ratio_vs_baseline": %.2f}\n' \
            "$n" "$plan_s" "$plan_mb" "$base_s" "$base_mb" "$ratio"
    done
done
