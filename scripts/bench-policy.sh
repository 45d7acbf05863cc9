#!/usr/bin/env bash
# Policy evaluation, side by side in one run on the same facts: json-rules-engine running the
# original app's seven rules (the peer benchmark, peer.js), `changeset rules bench` with evalexpr
# interpreting the default rules (the baseline), and with the compiled evaluator (what plan and
# apply use). Prints the three JSON lines, then one summary line; exits 1 if the digests differ.
#
# Usage: scripts/bench-policy.sh [N] [SEED]          (default: 100000 42)
# PEER_DIR: the peer benchmark folder (default: ../shared/bench/policy-peer from the project root)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
seed=${2:-42}
peer=${PEER_DIR:-../shared/bench/policy-peer}
if [ ! -f "$peer/peer.js" ]; then
    echo "no peer benchmark at $peer (set PEER_DIR)" >&2
    exit 1
fi
if [ ! -d "$peer/node_modules/json-rules-engine" ]; then
    (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
fi
cargo build --release --quiet
bin=target/release/changeset
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset CHANGESET_RULES # the embedded default rules (rules/default.toml)

node "$peer/gen-facts.js" "$n" "$seed" > "$work/facts.jsonl"
theirs=$(node "$peer/peer.js" "$work/facts.jsonl")
baseline=$("$bin" rules bench --engine evalexpr --facts "$work/facts.jsonl")
ours=$("$bin" rules bench --facts "$work/facts.jsonl")
printf '%s\n%s\n%s\n' "$theirs" "$baseline" "$ours"
python3 - "$theirs" "$baseline" "$ours" <<'PY'
import json, sys
theirs, baseline, ours = (json.loads(a) for a in sys.argv[1:])
same = theirs["digest"] == baseline["digest"] == ours["digest"]
print(json.dumps({
    "digests_equal": same,
    "compiled_vs_json_rules_engine": round(ours["evals_per_sec"] / theirs["evals_per_sec"], 1),
    "compiled_vs_evalexpr": round(ours["evals_per_sec"] / baseline["evals_per_sec"], 1),
}))
sys.exit(0 if same else 1)
PY
