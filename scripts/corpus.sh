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
    echo "$1: $line"
    if [[ ! $line =~ ^corpus:\ ([0-9]+)/([0-9]+)\ pass,\ ([0-9]+)\ wrong,\ ([0-9]+)\ safe_refusal,\ ([0-9]+)\ crash$ ]]; then
        echo "corpus: unexpected summary line" >&2
        return 1
    fi
    if (( BASH_REMATCH[3] > 0 || BASH_REMATCH[5] > 0 )); then
        echo "corpus: ${BASH_REMATCH[3]} wrong, ${BASH_REMATCH[5]} crash" >&2
        return 1
    fi
}

check "$corpus/dev.jsonl" "$corpus/catalog.csv"
# The same kinds of request against another catalog (generality, not the shared sentences).
check tests/corpus/extra.jsonl tests/corpus/extra-catalog.csv
