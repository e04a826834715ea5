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

echo "== Python environment for the runner's tests (.venv, tests/python-requirements.txt)"
[ -x .venv/bin/python ] || python3 -m venv .venv
wanted="$(sha256sum tests/python-requirements.txt | cut -d' ' -f1)"
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r tests/python-requirements.txt
  echo "$wanted" > .venv/.requirements.sha256
fi
export MLFORGE_PYTHON="$PWD/.venv/bin/python"

echo "== cargo test"
cargo test --workspace --locked

echo "== TextMate grammar (node --test)"
(cd grammar/test && npm ci --no-audit --no-fund --loglevel=error && npm test)
