#!/usr/bin/env bash
# `annot render` of a generated workspace (SPEC §8: M in at most 3 s),
# beside the floor of the same machine: reading every file it reads.
#
#   ./bench/render.sh [S|M|L]       # generates into a temporary folder
# Needs hyperfine and git.
set -euo pipefail
size="${1:-M}"
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin annot --example gen
annot="$PWD/target/release/annot"
gen="$PWD/target/release/examples/gen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" "$size" "$work/ws"
cd "$work/ws"
runs="${RUNS:-10}"
"$annot" validate --format json > /dev/null || true
echo "== $size: $(find seeds -type f | wc -l) seeds, $(find annotations -type f | wc -l) annotation files"
hyperfine -N -i --warmup 2 --runs "$runs" \
  -n "floor: read every file (cat)" "sh -c 'find annotations seeds schema -type f -exec cat {} + > /dev/null'" \
  -n "annot validate" "$annot validate --format json" \
  -n "annot render" "$annot render --out $work/report" 2>&1 | grep -E "^Benchmark|Time|Range"
echo "== the report"
find "$work/report" -type f | wc -l
du -sh "$work/report" | cut -f1
/usr/bin/time -v "$annot" render --out "$work/report" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" || true
