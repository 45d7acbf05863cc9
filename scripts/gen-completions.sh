#!/usr/bin/env bash
# Regenerates the shipped shell completions and man pages (man/) from the CLI definitions.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/changeset
$bin completions bash > completions/changeset.bash
$bin completions zsh > completions/_changeset
$bin completions fish > completions/changeset.fish
$bin completions powershell > completions/_changeset.ps1
$bin completions elvish > completions/changeset.elv
rm -f man/*.1
$bin man --out-dir man
