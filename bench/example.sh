#!/usr/bin/env bash
# Times `annot validate` on this repository's own workspace with hyperfine
# (Debian/Ubuntu: apt-get install hyperfine). Prints hyperfine's summary and
# the median in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp)
hyperfine --warmup 5 --runs "${RUNS:-100}" -N --export-json "$out" \
  './target/release/annot validate' \
  './target/release/annot validate --format json'
python3 - "$out" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]}: median {r["median"]*1000:.1f} ms, min {r["min"]*1000:.1f} ms')
PY
