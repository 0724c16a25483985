#!/usr/bin/env bash
# `annot merge-driver` on two 10,000-annotation versions of one file, each
# with 100 edits of its own (notes changed on one side, annotations added
# on the other), beside the floors of the same run: `git merge-file` of the
# same three files, and reading them.  SPEC §13 target: < 1 s.
#
#   ./bench/merge.sh        # needs hyperfine, python3 and git
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
annot="$PWD/target/release/annot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
def item(i, note):
    return (f"  # annotation {i}\n  - id: gen.a{i:05d}\n    kind: claim\n"
            f"    quote: \"word {i}\"\n    start: {i * 10}\n    end: {i * 10 + 6}\n"
            f"    links:\n      - {{rel: cites, target: gen.a{(i + 1) % 10000:05d}}}\n"
            f"    note: {note}\n")
head = "source: seeds/s.txt\nsha256: \"" + "0" * 64 + "\"\nannotations:\n"
base = [item(i, f"note {i}") for i in range(10000)]
ours = [item(i, f"ours {i}") if i % 100 == 0 else base[i] for i in range(10000)]
theirs = base + [item(20000 + i, f"theirs {i}") for i in range(100)]
for name, items in [("base", base), ("ours", ours), ("theirs", theirs)]:
    open(f"{work}/{name}.yaml", "w").write(head + "".join(items))
PY
cd "$work"
ls -l base.yaml ours.yaml theirs.yaml
hyperfine -N -i --warmup 3 --runs "${RUNS:-30}" \
  --prepare "cp ours.yaml merged.yaml" \
  -n "floor: read the three files" "cat base.yaml ours.yaml theirs.yaml" \
  -n "floor: git merge-file (lines)" "git merge-file -p merged.yaml base.yaml theirs.yaml" \
  -n "annot merge-driver" "$annot merge-driver base.yaml merged.yaml theirs.yaml annotations/x.yaml 7"
cp ours.yaml merged.yaml
"$annot" merge-driver base.yaml merged.yaml theirs.yaml annotations/x.yaml 7
echo "annot merge-driver exit 0: $(grep -c '^  - id:' merged.yaml) annotations in the result"
