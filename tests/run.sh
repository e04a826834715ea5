#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust tests (unit, snapshot, property and
# end-to-end tests of the real binary), and the TextMate grammar's tests in Node.
# Installs what the tests need (npm packages, pinned by package-lock.json) by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Graphviz (the graph tests render SVG with \`dot\`)"
command -v dot >/dev/null || { apt-get update -qq && apt-get install -y -qq graphviz; }

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== TextMate grammar (node --test)"
(cd grammar/test && npm ci --no-audit --no-fund --loglevel=error && npm test)
