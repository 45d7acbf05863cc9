#!/usr/bin/env bash
# The request corpora (issue 4) against the debug binary: prints each summary line and fails on
# any wrong plan or crash. Uses ../shared/corpus when it exists, else the vendored copy.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet
# The binary lives in cargo's target directory, wherever CARGO_TARGET_DIR puts it.
target_dir=$(cargo metadata --locked --no-deps --format-version 1 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target_dir/debug/changeset"
corpus=../shared/corpus
[ -f "$corpus/check.py" ] || corpus=tests/corpus

check() { # cases catalog
    local line
    line=$(python3 "$corpus/check.py" --bin "$bin" --cases "$1" --catalog "$2" --jobs 2 | tail -n 1)
    if [[ ! $line =~ ^corpus:\ ([0-9]+)/([0-9]+)\ pass,\ ([0-9]+)\ wrong,\ ([0-9]+)\ safe_refusal,\ ([0-9]+)\ crash$ ]]; then
        echo "$1: $line"
        echo "corpus: unexpected summary line" >&2
        return 1
    fi
    echo "$1: $line ($(( 1000 * BASH_REMATCH[1] / BASH_REMATCH[2] / 10 )).$(( 1000 * BASH_REMATCH[1] / BASH_REMATCH[2] % 10 ))% pass)"
    if (( BASH_REMATCH[3] > 0 || BASH_REMATCH[5] > 0 )); then
        echo "corpus: ${BASH_REMATCH[3]} wrong, ${BASH_REMATCH[5]} crash" >&2
        return 1
    fi
}

check "$corpus/dev.jsonl" "$corpus/catalog.csv"
# The same kinds of request against another catalog (generality, not the shared sentences).
check tests/corpus/extra.jsonl tests/corpus/extra-catalog.csv
# Held out (issue 16): written against a third catalog by someone who had not read src/parse,
# before the grammar was tuned; only its summary is looked at. blind-tune.jsonl was open for tuning.
check tests/corpus/blind-tune.jsonl tests/corpus/blind-catalog.csv
# Gated like the others: a wrong plan or a crash fails the run; refusals only lower the rate.
check tests/corpus/blind.jsonl tests/corpus/blind-catalog.csv
