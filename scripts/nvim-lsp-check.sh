#!/usr/bin/env bash
# `annot lsp` in a real editor: Neovim's own LSP client, headless, set up
# as docs/editors.md says for Neovim 0.7 (Debian 12's), on a copy of this
# repository's workspace. It opens annotations/tass.yaml, breaks an offset,
# waits for the diagnostic, hovers, takes the quick fix, jumps to a link
# target and lists the outline; each step must print what is expected.
#
#   scripts/nvim-lsp-check.sh PATH/TO/annot
set -euo pipefail
annot=$(realpath "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/annotations" "$here/seeds" "$here/schema" "$here/.gitattributes" "$work/"
git -C "$work" -c init.defaultBranch=main init -q
git -C "$work" add -A
git -C "$work" -c user.name=ci -c user.email=ci@example.invalid -c commit.gpgsign=false commit -qm workspace
cd "$work"
out=$(ANNOT="$annot" timeout 120 nvim --headless -u "$here/scripts/nvim/init.lua" \
  annotations/tass.yaml -c "luafile $here/scripts/nvim/check.lua" 2>&1)
printf '%s\n' "$out"
status=0
for expected in \
  'attached: true' \
  'diagnostics after open: 0' \
  'source annot code quote-mismatch' \
  '⟦,000 combat engineers⟧' \
  'code action: quickfix Move `tass.lead-sappers` to 70..92' \
  'applied; line now:     start: 70' \
  'diagnostics cleared after the fix: true' \
  'annotations/entities.yaml' \
  'document symbols: 28' \
  'stopped: true'; do
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "FAIL: Neovim did not show: $expected" >&2
    status=1
  fi
done
[ "$status" = 0 ] && echo "ok: Neovim $(nvim --version | head -1) drove annot lsp through every step"
exit "$status"
