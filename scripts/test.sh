#!/usr/bin/env bash
# The test command (README): installs what the tests need, then runs every test.
# Works on a fresh machine with only the Rust toolchain, Node.js/npm and Python 3.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages of the loopback test servers (the OpenID provider), from their lock files.
for dir in tests/support/*/; do
    if [ -f "$dir/package-lock.json" ]; then
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    fi
done

# Debian packages the tests need, installed only when missing (one `apt-get update` for all):
# - PostgreSQL server binaries for the shared-audit-log tests (tests/support/postgres.rs starts a
#   throwaway cluster from them, in a temp dir, on a free loopback port);
# - gnome-keyring, D-Bus and secret-tool for the OS keychain test (tests/it/keychain.rs runs the
#   Secret Service on a private `dbus-run-session`).
missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus)
command -v secret-tool >/dev/null 2>&1 || missing+=(libsecret-tools)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The licence test (tests/it/licences.rs) reads `cargo metadata --offline` for every platform:
# download every platform's packages (the build fetches only this platform's).
cargo fetch --locked --quiet

# Formatting and lints are part of the tests (warnings are errors).
cargo fmt --check
cargo clippy --all-targets --locked --quiet -- -D warnings
# No function in src/ over 60 lines (it lists any that are, and fails).
python3 scripts/long-functions.py

cargo test --locked

# The request corpus: no wrong plan, no crash (reuses the debug binary built above).
scripts/corpus.sh
