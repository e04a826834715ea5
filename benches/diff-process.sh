#!/usr/bin/env bash
# Times the whole `mlforge diff OLD NEW --format json` process on two versions of the
# synthetic program that differ in ten places (`mlforge-synth N DIR --changed`).
#   benches/diff-process.sh                     # 5,000 steps, 5 warm-up runs, 30 timed runs
#   STEPS=1000 RUNS=50 benches/diff-process.sh
#   NO_HYPERFINE=1 benches/diff-process.sh      # the fallback loop (date +%s%N)
# Built with the bench profile (release with line tables), which `cargo bench` builds too.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-5000}"
RUNS="${RUNS:-30}"
WARMUP="${WARMUP:-5}"

cargo build --profile bench -q -p mlforge -p mlforge-synth
bin="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin/mlforge-synth" "$STEPS" "$work/old" >/dev/null
"$bin/mlforge-synth" "$STEPS" "$work/new" --changed >/dev/null

set +e
"$bin/mlforge" diff "$work/old/main.mlf" "$work/new/main.mlf" >"$work/summary.txt"
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "expected exit 1 (changes), got $code" >&2
  exit 1
fi
head -1 "$work/summary.txt"

cmd=("$bin/mlforge" diff "$work/old/main.mlf" "$work/new/main.mlf" --format json)
if command -v hyperfine >/dev/null && [ -z "${NO_HYPERFINE:-}" ]; then
  hyperfine --shell=none -i --warmup "$WARMUP" --runs "$RUNS" \
    "${cmd[*]} --output $work/out.json"
else
  times=()
  for _ in $(seq "$WARMUP"); do "${cmd[@]}" >/dev/null || true; done
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "${cmd[@]}" >/dev/null || true
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '
    { a[NR] = $1; s += $1 }
    END { printf "%d runs: mean %.1f ms, median %.1f ms, min %.1f ms, max %.1f ms\n",
          NR, s / NR / 1000, a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[NR] / 1000 }'
fi
