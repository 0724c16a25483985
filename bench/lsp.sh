#!/usr/bin/env bash
# `annot lsp` on a generated workspace (SPEC §8: M), driven over stdio by
# bench/lsp.py; the workspace is generated into a temporary folder and its
# cache warmed by one `annot validate`, as an annotator's clone would be.
#
#   ./bench/lsp.sh [S|M|L] [EDITS]
set -euo pipefail
size="${1:-M}"
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin annot --example gen
annot="$PWD/target/release/annot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen "$size" "$work/ws" > /dev/null
(cd "$work/ws" && "$annot" validate --format json > /dev/null) || true
python3 bench/lsp.py "$annot" "$work/ws" "${2:-40}"
echo "== again, no cache under .git/annot"
rm -rf "$work/ws/.git/annot"
python3 bench/lsp.py "$annot" "$work/ws" "${2:-40}"
