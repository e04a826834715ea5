#!/usr/bin/env bash
# Runner overhead (spec/PRODUCT.md, "Promises"): 1,000 no-op shell steps in under 2.5 s on
# 2 cores, and a fully cached re-run of them in under 0.3 s. Whole `mlforge run` processes,
# release build, each first run in a fresh folder with a fresh store.
#
# Two shapes of the same work: a `for` over a 1,000-element list param, and 1,000
# independent steps. Prints min and median of RUNS runs and the peak memory (RSS).
#
#   crates/runner/benches/runner.sh            # 1,000 steps, 5 runs each, --jobs 2
#   STEPS=200 RUNS=10 JOBS=4 crates/runner/benches/runner.sh
set -euo pipefail

STEPS=${STEPS:-1000}
RUNS=${RUNS:-5}
JOBS=${JOBS:-2}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$root"
cargo build --release --quiet -p mlforge
bin=${CARGO_TARGET_DIR:-$root/target}/release/mlforge

dir=$(mktemp -d "${TMPDIR:-/tmp}/mlforge-runner-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Shape 1: a `for` over a list param.
cat > "$dir/loop.mlf" <<'EOF'
op noop(i: int) {
  shell """
    true
  """
}
pipeline bench(items: list<int>) {
  for i in items {
    step n = noop(i: i)
  }
}
EOF
items="[$(seq -s, 0 $((STEPS - 1)))]"

# Shape 2: independent steps.
{
  printf 'op noop(i: int) {\n  shell """\n    true\n  """\n}\npipeline bench() {\n'
  for i in $(seq 0 $((STEPS - 1))); do printf '  step s%d = noop(i: %d)\n' "$i" "$i"; done
  printf '}\n'
} > "$dir/flat.mlf"

now() { date +%s.%N; }
peak_rss_kb() { # prints the peak RSS of a command, in KiB, when GNU time is there
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
  else
    "$@" >/dev/null 2>&1
    echo "?"
  fi
}
stats() { # min and median of the numbers on standard input
  sort -n | awk '{ a[NR] = $1 } END { printf "min %.3f s, median %.3f s", a[1], a[int((NR + 1) / 2)] }'
}

for shape in loop flat; do
  args=(run "$shape.mlf" --jobs "$JOBS")
  [ "$shape" = loop ] && args+=(--param "items=$items")
  fresh=()
  cached=()
  for r in $(seq 1 "$RUNS"); do
    # A new folder per run, and nothing deleted until the end: deleting thousands of
    # files just before a run slows the next file creations on ext4 (recently deleted
    # inodes are skipped one by one), which would measure the benchmark, not the runner.
    work="$dir/$shape-$r"
    mkdir "$work"
    cp "$dir/$shape.mlf" "$work/"
    start=$(now)
    (cd "$work" && "$bin" "${args[@]}" >/dev/null 2>&1)
    fresh+=("$(echo "$(now) - $start" | bc)")
    start=$(now)
    (cd "$work" && "$bin" "${args[@]}" >/dev/null 2>&1)
    cached+=("$(echo "$(now) - $start" | bc)")
  done
  rss=$(cd "$dir/$shape-1" && peak_rss_kb "$bin" "${args[@]}" --no-cache)
  echo "$shape, $STEPS no-op steps, --jobs $JOBS:"
  echo "  first run:  $(printf '%s\n' "${fresh[@]}" | stats)"
  echo "  cached run: $(printf '%s\n' "${cached[@]}" | stats)"
  echo "  peak RSS (--no-cache run): ${rss} KiB"
done
