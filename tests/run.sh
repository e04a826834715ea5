#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust tests (unit, snapshot, property and
# end-to-end tests of the real binary, the runner on the examples), the language server
# through pytest-lsp and headless Neovim, and the TextMate grammar's tests in Node.
#
# It checks every prerequisite first and names, in one message, what is missing and how to
# get it: cargo (Rust 1.89+), python3 (3.11+) with venv, Node.js 20+ with npm, Graphviz's
# `dot`, Neovim (0.7+), and for the VS Code extension's tests Chromium, pkg-config and the
# Kerberos headers. Where apt-get exists it installs graphviz, neovim, python3-venv,
# chromium, pkg-config and libkrb5-dev itself (with sudo when not root). Then it installs
# the pinned Python packages (tests/python-requirements.txt, tests/lsp/requirements.txt)
# and an MLflow tracking server (tests/mlflow/requirements.txt) into virtual environments,
# the npm packages pinned by grammar/test/package-lock.json,
# editors/vscode/package-lock.json and tests/diff-mermaid/package-lock.json, and Node 24
# with code-server (pinned by editors/vscode/test/e2e/*/package-lock.json); the
# environments, Node 24 and code-server are cached outside the clone in
# ~/.cache/mlforge-tests (MLFORGE_TEST_CACHE), keyed by their pins. Needs about 8 GB of disk
# (target/ reaches 5 GB with the release build the extension ships; the MLflow environment
# 851 MB, code-server 620 MB); a first run of the Rust, Python and grammar tests took
# 8 min 47 s on 2 cores, later ones less.
set -euo pipefail
cd "$(dirname "$0")/.."

# A run from a fresh clone gains nothing from incremental compilation, whose caches are
# gigabytes on disk; keep them for your own edit loop (`cargo test`) only.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== Prerequisites"
have() { command -v "$1" >/dev/null 2>&1; }
# `version_at_least 1.89 1.91.0`: whether the second version is at least the first.
version_at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }
missing=()
apt_packages=()
# apt-get only where it exists; sudo only when not root.
sudo=""
can_apt=false
if have apt-get; then
  if [ "$(id -u)" -eq 0 ]; then can_apt=true
  elif have sudo; then sudo="sudo"; can_apt=true
  fi
fi
need_apt() { # need_apt PACKAGE WHAT-IS-MISSING HOW-TO-GET-IT
  if $can_apt; then apt_packages+=("$1"); else missing+=("$2: $3"); fi
}

if ! have cargo; then
  missing+=("cargo (Rust 1.89 or newer): install rustup from https://rustup.rs, then open a new shell")
else
  rust="$(rustc --version 2>/dev/null | cut -d' ' -f2 || true)"
  version_at_least 1.89 "${rust:-0}" ||
    missing+=("Rust 1.89 or newer (found ${rust:-no rustc}): run \`rustup update\`")
fi

if ! have python3; then
  if $can_apt; then apt_packages+=(python3 python3-venv)
  else missing+=("python3 (3.11 or newer) with venv: https://www.python.org, or your package manager"); fi
else
  py="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  version_at_least 3.11 "$py" ||
    missing+=("python3 3.11 or newer (found $py; the pinned numpy and scipy need 3.11): install a newer Python, or put one first on PATH as python3")
  # A trial venv is the one sure test (Debian's
  # python3 has the venv module but no ensurepip without python3-venv).
  trial="$(mktemp -d)"
  if ! python3 -m venv "$trial/venv" >/dev/null 2>&1; then
    need_apt python3-venv "python3's venv module with ensurepip" \
      "install your distribution's python3-venv package"
  fi
  rm -rf "$trial"
fi

node_version="$(node --version 2>/dev/null || true)"
node_major="$(echo "$node_version" | sed -n 's/^v\([0-9][0-9]*\).*/\1/p')"
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ] || ! have npm; then
  found="${node_version:-no node}"
  have npm || found="$found, no npm"
  missing+=("Node.js 20 or newer with npm (found $found): https://nodejs.org, or \`nvm install 20\`")
fi

# Graphviz: the graph tests render SVG with `dot`. Neovim: the language server's headless
# client test (tests/lsp/neovim.lua).
have dot || need_apt graphviz "Graphviz's dot" "install the graphviz package (brew install graphviz on macOS)"
have nvim || need_apt neovim "Neovim 0.7 or newer" "install the neovim package, or see https://neovim.io"
# The VS Code extension's tests: the graph preview in headless Chromium, and code-server's
# native modules (built against Node 24's headers) need pkg-config and the Kerberos headers.
have chromium || need_apt chromium "Chromium" "install the chromium package"
have pkg-config || need_apt pkg-config "pkg-config" "install the pkg-config package"
if have dpkg; then
  dpkg -s libkrb5-dev >/dev/null 2>&1 ||
    need_apt libkrb5-dev "the Kerberos headers" "install the libkrb5-dev package"
elif ! have krb5-config; then
  missing+=("the Kerberos headers (krb5-config): install krb5-devel (Fedora) or krb5 (Homebrew)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  {
    echo "tests/run.sh cannot run yet; missing:"
    for item in "${missing[@]}"; do echo "  - $item"; done
    if [ ${#apt_packages[@]} -gt 0 ]; then
      echo "(it would also install with apt-get: ${apt_packages[*]})"
    fi
  } >&2
  exit 1
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "installing with apt-get: ${apt_packages[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${apt_packages[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Heavy installs live outside the clone, in a cache keyed by what they are made from, so a
# fresh clone (CI's) reuses them and a changed pin makes a new one.
cache="${MLFORGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlforge-tests}"
mkdir -p "$cache"
# ensure_venv NAME REQUIREMENTS...: a virtual environment in the cache, keyed by the
# interpreter and the requirement files, made once; prints its folder.
ensure_venv() {
  local name="$1"; shift
  local key dir
  key="$({ python3 --version; cat "$@"; } | sha256sum | cut -c1-16)"
  dir="$cache/$name-$key"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir" >&2
    for requirements in "$@"; do
      "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >&2
    done
    touch "$dir/.complete"
  fi
  echo "$dir"
}

echo "== Python environment for the runner's and the language server's tests (tests/python-requirements.txt, tests/lsp/requirements.txt)"
venv="$(ensure_venv venv tests/python-requirements.txt tests/lsp/requirements.txt)"
echo "   $venv"
export MLFORGE_PYTHON="$venv/bin/python"

echo "== MLflow tracking server for the mirror tests (tests/mlflow/requirements.txt)"
# Its own environment: ~850 MB that installs in minutes, apart from the runner's pandas.
venv_mlflow="$(ensure_venv venv-mlflow tests/mlflow/requirements.txt)"
echo "   $venv_mlflow"
export MLFORGE_MLFLOW="$venv_mlflow/bin/mlflow"
# The server tests fail, rather than skip, if the variable above ever goes missing.
export MLFORGE_REQUIRE_MLFLOW=1

echo "== Apache Airflow for the exporter's tests (tests/export/airflow-requirements.txt)"
# Its own environment (~290 MB, ~30 s to install): the exported DAGs are imported in a
# DagBag and run with `airflow dags test` (crates/export/tests/airflow.rs,
# crates/cli/tests/export_airflow.rs). Each test keeps AIRFLOW_HOME in a temporary folder.
venv_airflow="$(ensure_venv venv-airflow tests/export/airflow-requirements.txt)"
echo "   $venv_airflow"
export MLFORGE_AIRFLOW_PYTHON="$venv_airflow/bin/python"

echo "== Kubeflow Pipelines SDK for the export checks (tests/export/kfp-requirements.txt)"
# The strict protobuf parse of every KFP export and kfp.local runs compared with the runner
# (crates/export/tests/kfp.rs); ~25 s to make.
venv_kfp="$(ensure_venv venv-kfp tests/export/kfp-requirements.txt)"
echo "   $venv_kfp"
export MLFORGE_KFP_PYTHON="$venv_kfp/bin/python"

echo "== cargo test"
cargo test --workspace --locked

# `cargo test` built the binary the language server's end-to-end tests start.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
export MLFORGE_BIN="$target_dir/debug/mlforge"

echo "== Language server through pytest-lsp (VS Code and Neovim capabilities, tests/lsp)"
"$venv/bin/python" -m pytest tests/lsp -q -p no:cacheprovider

echo "== Language server in headless Neovim (tests/lsp/neovim.lua)"
nvim --headless -u NONE -c 'luafile tests/lsp/neovim.lua'

echo "== TextMate grammar (node --test)"
(cd grammar/test && npm ci --no-audit --no-fund --loglevel=error && npm test)

echo "== VS Code extension: type check, build, unit tests (editors/vscode)"
(cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm run build && npm run test:unit)

echo "== The graph preview in headless Chromium (editors/vscode/test/webview)"
# Chromium: checked (and installed with apt-get where it can be) with the prerequisites above.
(cd editors/vscode && npm run test:webview)

echo "== The packaged extension in real VS Code (code-server), end to end"
# code-server's native modules build against Node 24's headers with pkg-config and the
# Kerberos headers: checked (and installed) with the prerequisites above.
(cd editors/vscode && npm run package -- --out "$PWD/mlforge-linux-x64.vsix" \
  && MLFORGE_VSIX="$PWD/mlforge-linux-x64.vsix" npm run test:e2e)

echo "== mlforge diff's Mermaid charts rendered by mermaid in headless Chromium (tests/diff-mermaid)"
# The charts are crates/diff/tests/fixtures/*/mermaid.mmd, checked against the code by
# `cargo test` above. Chromium: checked with the prerequisites above.
(cd tests/diff-mermaid && npm ci --no-audit --no-fund --loglevel=error && npm test)
