#!/usr/bin/env bash
# Whole-command timings on generated workspaces (SPEC §8), each beside the
# floors of the same machine: reading every file, and sha256 of every seed.
# Results as ratios survive a noisy machine.
#
#   ./bench/scale.sh S|M|L          # generates into a temporary folder
# Needs hyperfine, GNU time (/usr/bin/time) and git.
set -euo pipefail
size="${1:-M}"
cd "$(dirname "$0")/.."
cargo build --release --quiet --example gen
annot="$PWD/target/release/annot"
gen="$PWD/target/release/examples/gen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" "$size" "$work/ws"
"$gen" DRIFT "$work/drift"
cd "$work/ws"
runs="${RUNS:-10}"
echo "== floors and full validate ($size)"
hyperfine -N -i --warmup 2 --runs "$runs" \
  -n "floor: read every file" "sh -c 'find annotations seeds -type f -exec cat {} + > /dev/null'" \
  -n "floor: sha256 of every seed" "sh -c 'find seeds -type f -exec sha256sum {} + > /dev/null'" \
  -n "annot validate (cache warm, nothing changed)" "$annot validate --format json" 2>&1 | grep -E "^Benchmark|Time|Range"
echo "== full validate without the cache (GIT_DIR points nowhere: no cache, no history)"
hyperfine -N -i --warmup 1 --runs "$runs" -n "annot validate (no cache)" "env GIT_DIR=/nonexistent $annot validate --format json" 2>&1 | grep -E "^Benchmark|Time|Range"
echo "== first run: the cache is written"
hyperfine -N -i --runs 3 --prepare "rm -rf .git/annot" -n "annot validate (cache cold)" "$annot validate --format json" 2>&1 | grep -E "^Benchmark|Time|Range"
echo "== pre-commit: one changed annotation file, validate --staged"
first=$(find annotations -name '*.yaml' ! -name entities.yaml | sort | sed -n 1p)
sed -i 's/    note: generated note number 0$/    note: changed by the benchmark/' "$first"
git add "$first"
hyperfine -N -i --warmup 2 --runs "$runs" -n "annot validate --staged" "$annot validate --staged --format json" 2>&1 | grep -E "^Benchmark|Time|Range"
echo "== peak memory of a full validate (cache warm; first run; no cache)"
/usr/bin/time -v "$annot" validate --format json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
rm -rf .git/annot
/usr/bin/time -v "$annot" validate --format json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
GIT_DIR=/nonexistent /usr/bin/time -v "$annot" validate --format json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
echo "== drift: 100,000 annotations on a 1 MB source, 1 % of words edited"
cd "$work/drift"
# Floors: reading every file of the workspace, and git reading the old
# version of the source (the blob the pins name).
hyperfine -N -i --warmup 2 --runs "$runs" \
  -n "floor: read every file" "sh -c 'find annotations seeds -type f -exec cat {} + > /dev/null'" \
  -n "floor: git cat-file of the old source" "git cat-file -p HEAD:seeds/s00000.txt" \
  -n "annot diff --format json" "sh -c '$annot diff --format json > /dev/null'" 2>&1 | grep -E "^Benchmark|Time|Range"
/usr/bin/time -v "$annot" diff --format json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
