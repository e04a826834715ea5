#!/usr/bin/env bash
# Whole-process timing of `mlforge check` on the synthetic 5,000-step program
# (spec/PRODUCT.md, "Promises": under 40 ms). Builds the release binaries, writes the
# program with `mlforge-synth` into a temporary folder, checks that it is clean, then
# times `mlforge check main.mlf` with hyperfine (or a plain loop when hyperfine is missing).
#
#   benches/check-process.sh              # 5,000 steps, 5 warm-up runs, 50 timed runs
#   STEPS=1000 RUNS=100 benches/check-process.sh
#   NO_HYPERFINE=1 benches/check-process.sh   # the plain loop, as without hyperfine
set -euo pipefail

STEPS=${STEPS:-5000}
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
cargo build --release --quiet -p mlforge -p mlforge-synth
bin=${CARGO_TARGET_DIR:-$root/target}/release

dir=$(mktemp -d "${TMPDIR:-/tmp}/mlforge-check-process.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$bin/mlforge-synth" "$STEPS" "$dir"

# The program must check clean (exit 0, no warnings), or the timing means nothing.
summary=$("$bin/mlforge" check "$dir/main.mlf" | tail -n 1)
echo "mlforge check: $summary"
case "$summary" in
  "0 errors, 0 warnings"*) ;;
  *) echo "error: the synthetic program does not check clean" >&2; exit 1 ;;
esac

cmd=("$bin/mlforge" check "$dir/main.mlf")

if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
  hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$dir/hyperfine.json" --command-name "mlforge check ($STEPS steps)" \
    "${cmd[*]}"
  # hyperfine prints mean ± σ and the range; the median is in its JSON.
  awk -F': *' '
    /"mean"/   { gsub(/[ ,]/, "", $2); printf "mean:   %.2f ms\n", $2 * 1000 }
    /"median"/ { gsub(/[ ,]/, "", $2); printf "median: %.2f ms\n", $2 * 1000 }
  ' "$dir/hyperfine.json"
else
  echo "without hyperfine (apt-get install hyperfine): timing with a loop of $RUNS runs"
  for _ in $(seq "$WARMUP"); do "${cmd[@]}" >/dev/null; done
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "${cmd[@]}" >/dev/null
    end=$(date +%s%N)
    echo $(( end - start ))
  done | sort -n | awk '
    { t[NR] = $1; sum += $1 }
    END {
      median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "runs:   %d\nmean:   %.2f ms\nmedian: %.2f ms\nmin:    %.2f ms\nmax:    %.2f ms\n",
        NR, sum / NR / 1e6, median / 1e6, t[1] / 1e6, t[NR] / 1e6
    }'
fi
