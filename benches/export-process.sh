#!/usr/bin/env bash
# Times the whole `mlforge export TARGET main.mlf -o DIR` process on the synthetic program
# (`mlforge-synth N DIR`), for each target in this build.
#   benches/export-process.sh                       # 5,000 steps, 3 warm-up runs, 20 timed runs
#   STEPS=1000 RUNS=50 TARGETS="airflow" benches/export-process.sh
# Built with the bench profile (release with line tables), which `cargo bench` builds too.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-5000}"
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-3}"
TARGETS="${TARGETS:-airflow kfp argo}"

cargo build --profile bench -q -p mlforge -p mlforge-synth
bin="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin/mlforge-synth" "$STEPS" "$work/synth" >/dev/null
mkdir "$work/out"

for target in $TARGETS; do
  cmd=("$bin/mlforge" export "$target" "$work/synth/main.mlf" -o "$work/out/")
  if ! "${cmd[@]}" 2>"$work/err.txt" >/dev/null; then
    echo "$target: $(tail -1 "$work/err.txt")"
    continue
  fi
  times=()
  for _ in $(seq "$WARMUP"); do "${cmd[@]}" >/dev/null 2>&1; done
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "${cmd[@]}" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  size=$(du -sk "$work/out" | cut -f1)
  printf '%s\n' "${times[@]}" | sort -n | awk -v t="$target" -v kb="$size" '
    { a[NR] = $1; s += $1 }
    END { printf "%s: %d runs: mean %.1f ms, median %.1f ms, min %.1f ms, max %.1f ms (%d KB written)\n",
          t, NR, s / NR / 1000, a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[NR] / 1000, kb }'
  rm -rf "$work/out"/*
done
