#!/usr/bin/env bash
# Times `annot export` (each format) and `annot import` of what it exported
# on the generated M workspace (SPEC §8: export ≤ 1 s, import ≤ 2 s), beside
# the floor: reading the same bytes (`cat` of the workspace's files, and of
# the exported file). Needs hyperfine (apt-get install hyperfine).
#
#   bench/interop.sh [WORKDIR]      # default /tmp/annot-interop-bench
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin annot --example gen
annot="$PWD/target/release/annot"
work="${1:-/tmp/annot-interop-bench}"
runs="${RUNS:-10}"
m="$work/M"
if [ ! -d "$m" ]; then
  mkdir -p "$work"
  ./target/release/examples/gen M "$m" >/dev/null
fi
out="$work/out"
rm -rf "$out" && mkdir -p "$out"
"$annot" -C "$m" export --format w3c --out "$out/m.w3c.json" 2>/dev/null
"$annot" -C "$m" export --format jsonl --out "$out/m.jsonl" 2>/dev/null
"$annot" -C "$m" export --format brat --out "$out/brat" 2>/dev/null

# Import targets: the same seeds, an empty vocabulary, a fresh copy per run.
target="$work/target"
prepare="rm -rf $target && mkdir -p $target && cp -r $m/seeds $target/seeds && mkdir -p $target/annotations $target/schema && printf 'kinds: {}\nrelations: {}\n' > $target/schema/vocabulary.yaml"

# The floor: reading the same bytes.
(cd "$m" && find annotations seeds schema -type f | sed "s|^|$m/|") > "$work/files"

hyperfine -N -i --warmup 2 --runs "$runs" \
  -n "floor: cat the workspace's files" "bash -c 'xargs cat < $work/files > /dev/null'" \
  -n "export --format w3c" "$annot -C $m export --format w3c --out $out/w3c-bench.json" \
  -n "export --format jsonl" "$annot -C $m export --format jsonl --out $out/jsonl-bench.jsonl" \
  -n "export --format brat" "bash -c 'rm -rf $out/brat2 && $annot -C $m export --format brat --out $out/brat2'"

hyperfine -i --warmup 1 --runs "$runs" \
  --prepare "$prepare" \
  -n "floor: cat the W3C export" "cat $out/m.w3c.json" \
  -n "floor: cat the brat folder" "bash -c 'cat $out/brat/* > /dev/null'" \
  -n "import w3c" "$annot -C $target import w3c $out/m.w3c.json" \
  -n "import jsonl" "$annot -C $target import jsonl $out/m.jsonl" \
  -n "import brat" "$annot -C $target import brat $out/brat"
