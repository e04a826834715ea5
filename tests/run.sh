#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust tests (unit, snapshot, property and
# end-to-end tests of the real binary, the runner on the examples), the language server
# through pytest-lsp and headless Neovim, and the TextMate grammar's tests in Node.
# Installs what the tests need by itself: Graphviz and Neovim (Debian), the pinned Python
# packages (tests/python-requirements.txt, tests/lsp/requirements.txt) into .venv, an MLflow
# tracking server (tests/mlflow/requirements.txt) into .venv-mlflow, and the npm packages
# pinned by grammar/test/package-lock.json; for the VS Code extension, Chromium (Debian), the
# npm packages pinned by editors/vscode/package-lock.json, and Node 24 with code-server
# (pinned by editors/vscode/test/e2e/*/package-lock.json, cached in ~/.cache/mlforge-tests);
# for `mlforge diff`'s Mermaid charts, the npm packages pinned by
# tests/diff-mermaid/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# A run from a fresh clone gains nothing from incremental compilation, whose caches are
# gigabytes on disk; keep them for your own edit loop (`cargo test`) only.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== Graphviz (the graph tests render SVG with \`dot\`)"
command -v dot >/dev/null || { apt-get update -qq && apt-get install -y -qq graphviz; }

echo "== Neovim (the language server's headless client test, tests/lsp/neovim.lua)"
command -v nvim >/dev/null || { apt-get update -qq && apt-get install -y -qq neovim; }

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

echo "== Python packages for the language server's tests (.venv, tests/lsp/requirements.txt)"
wanted="$(sha256sum tests/lsp/requirements.txt | cut -d' ' -f1)"
if [ "$(cat .venv/.lsp-requirements.sha256 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r tests/lsp/requirements.txt
  echo "$wanted" > .venv/.lsp-requirements.sha256
fi

echo "== MLflow tracking server for the mirror tests (.venv-mlflow, tests/mlflow/requirements.txt)"
# Its own environment: ~850 MB that installs in minutes, kept between runs and apart from
# the runner's pandas.
[ -x .venv-mlflow/bin/python ] || python3 -m venv .venv-mlflow
wanted="$(sha256sum tests/mlflow/requirements.txt | cut -d' ' -f1)"
if [ "$(cat .venv-mlflow/.requirements.sha256 2>/dev/null)" != "$wanted" ]; then
  .venv-mlflow/bin/python -m pip install -q --disable-pip-version-check -r tests/mlflow/requirements.txt
  echo "$wanted" > .venv-mlflow/.requirements.sha256
fi
export MLFORGE_MLFLOW="$PWD/.venv-mlflow/bin/mlflow"
# The server tests fail, rather than skip, if the variable above ever goes missing.
export MLFORGE_REQUIRE_MLFLOW=1

echo "== cargo test"
cargo test --workspace --locked

# `cargo test` built the binary the language server's end-to-end tests start.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
export MLFORGE_BIN="$target_dir/debug/mlforge"

echo "== Language server through pytest-lsp (VS Code and Neovim capabilities, tests/lsp)"
.venv/bin/python -m pytest tests/lsp -q -p no:cacheprovider

echo "== Language server in headless Neovim (tests/lsp/neovim.lua)"
nvim --headless -u NONE -c 'luafile tests/lsp/neovim.lua'

echo "== TextMate grammar (node --test)"
(cd grammar/test && npm ci --no-audit --no-fund --loglevel=error && npm test)

echo "== VS Code extension: type check, build, unit tests (editors/vscode)"
(cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm run build && npm run test:unit)

echo "== The graph preview in headless Chromium (editors/vscode/test/webview)"
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
(cd editors/vscode && npm run test:webview)

echo "== The packaged extension in real VS Code (code-server), end to end"
# code-server's native modules build against Node 24's headers with these.
dpkg -s libkrb5-dev pkg-config >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libkrb5-dev pkg-config; }
(cd editors/vscode && npm run package -- --out "$PWD/mlforge-linux-x64.vsix" \
  && MLFORGE_VSIX="$PWD/mlforge-linux-x64.vsix" npm run test:e2e)

echo "== mlforge diff's Mermaid charts rendered by mermaid in headless Chromium (tests/diff-mermaid)"
# The charts are crates/diff/tests/fixtures/*/mermaid.mmd, checked against the code by
# `cargo test` above.
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
(cd tests/diff-mermaid && npm ci --no-audit --no-fund --loglevel=error && npm test)
