#!/usr/bin/env bash
# Whole-process timing of the commands that read a whole program, side by side with
# `mlforge check` on the same synthetic program (5,000 steps by default): `ir`,
# `graph --format json`, `graph --format dot`, `fmt --check` and `plan`, each written to a
# file. Prints hyperfine's table, then each command's median and its ratio to `check`'s
# (targets: under 50 ms; `ir`, graph and `fmt --check` within 2× of `check`, `plan`
# within 3×).
#
#   benches/commands-process.sh                 # 5,000 steps, 5 warm-up runs, 30 timed runs
#   STEPS=1000 RUNS=50 benches/commands-process.sh
#
# Needs hyperfine (`apt-get install hyperfine`).
set -euo pipefail

STEPS=${STEPS:-5000}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-5}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "error: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet -p mlforge -p mlforge-synth
bin=${CARGO_TARGET_DIR:-$root/target}/release

dir=$(mktemp -d "${TMPDIR:-/tmp}/mlforge-commands-process.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$bin/mlforge-synth" "$STEPS" "$dir" >/dev/null
summary=$("$bin/mlforge" check "$dir/main.mlf" | tail -n 1)
case "$summary" in
  "0 errors, 0 warnings"*) ;;
  *) echo "error: the synthetic program does not check clean: $summary" >&2; exit 1 ;;
esac

m=$bin/mlforge
f=$dir/main.mlf
# `fmt --check` exits 1 when the file would change: hyperfine is told to accept that.
hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" -i \
  --export-json "$dir/hyperfine.json" \
  --command-name check "$m check $f" \
  --command-name ir "$m ir $f -o $dir/ir.json" \
  --command-name "graph json" "$m graph $f --format json -o $dir/graph.json" \
  --command-name "graph dot" "$m graph $f --format dot -o $dir/graph.dot" \
  --command-name "fmt --check" "$m fmt --check $f" \
  --command-name plan "$m plan $f --format json"

python3 - "$dir/hyperfine.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
check = next(r for r in results if r["command"] == "check")["median"]
print(f"\n{'command':<14}{'median':>10}{'min':>10}{'× check':>10}")
for r in results:
    print(f"{r['command']:<14}{r['median'] * 1000:>8.1f}ms{r['min'] * 1000:>8.1f}ms{r['median'] / check:>10.2f}")
EOF
