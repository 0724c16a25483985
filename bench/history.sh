#!/usr/bin/env bash
# Pin lookup in history: a workspace whose seed was changed by each of
# COMMITS commits (default 1,000), with an annotation file pinned to the
# oldest version, so `annot validate` must search the whole history to tell
# pin-mismatch (known version) from pin-unknown. Times it cold (blob cache
# under .git/annot/ deleted before each run) and warm, and the same
# workspace with an up-to-date pin (no history search) as the floor.
# Needs hyperfine and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
annot="$PWD/target/release/annot"
commits="${COMMITS:-1000}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
python3 - "$commits" <<'PY' | git fast-import --quiet
import sys
n = int(sys.argv[1])
text = "The first version of the report.\n"
def data(s):
    b = s.encode()
    return f"data {len(b)}\n".encode() + b + b"\n"
out = sys.stdout.buffer
vocab = "kinds:\n  claim: {anchored: true}\n"
for i in range(n):
    out.write(b"commit refs/heads/main\n")
    out.write(f"committer Bench <bench@example.org> {1700000000 + i} +0000\n".encode())
    out.write(data(f"edit {i}"))
    if i == 0:
        out.write(b"M 644 inline schema/vocabulary.yaml\n" + data(vocab))
        out.write(b"M 644 inline .gitattributes\n" + data("seeds/** -text\n"))
    text += f"Line {i} added in commit {i}.\n"
    out.write(b"M 644 inline seeds/a.txt\n" + data(text))
PY
git checkout -q main
first=$(git rev-list --max-parents=0 HEAD)
old_sha=$(git show "$first:seeds/a.txt" | sha256sum | cut -d' ' -f1)
new_sha=$(sha256sum seeds/a.txt | cut -d' ' -f1)
mkdir -p annotations
printf 'source: seeds/a.txt\nsha256: %s\nannotations:\n  - {id: a1, kind: claim, quote: first version, start: 4, end: 17}\n' "$old_sha" > annotations/old-pin.yaml
echo "repository: $(git rev-list --count HEAD) commits, $(git rev-list --all --objects | wc -l) objects"
"$annot" validate | tail -1 || true
hyperfine -N -i --warmup 3 --runs "${RUNS:-30}" \
  --prepare 'rm -rf .git/annot' -n cold "$annot validate" 2>&1 | grep -E "Time|Range"
hyperfine -N -i --warmup 3 --runs "${RUNS:-30}" -n warm "$annot validate" 2>&1 | grep -E "Time|Range"
printf 'source: seeds/a.txt\nsha256: %s\nannotations:\n  - {id: a1, kind: claim, quote: first version, start: 4, end: 17}\n' "$new_sha" > annotations/old-pin.yaml
hyperfine -N -i --warmup 3 --runs "${RUNS:-30}" -n "no history search" "$annot validate" 2>&1 | grep -E "Time|Range"
