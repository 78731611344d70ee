#!/usr/bin/env bash
# Model-checks spec/tinydb.pml exhaustively with spin, then checks that each deliberately wrong
# variant is caught. Exits non-zero when the real model has an error or a wrong variant has none.
# Needs spin (Debian: apt-get install spin) and a C compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model="$here/tinydb.pml"
for tool in spin gcc; do
  command -v "$tool" >/dev/null || { echo "check.sh: $tool is not installed (Debian: apt-get install -y spin gcc)" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/tinydb-spec.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# verify <label> [-DVARIANT]: exhaustive safety search; prints pan's summary, sets $errors.
verify() {
  local label="$1"; shift
  (cd "$work" && rm -f pan pan.* ./*.trail && spin "$@" -a "$model" >/dev/null && gcc -w -O2 -DSAFETY -DCOLLAPSE -o pan pan.c)
  local out="$work/$label.out"
  (cd "$work" && ./pan -m200000 >"$out" 2>&1) || true
  errors="$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | head -1)"
  local states; states="$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out" | head -1)"
  if [ -z "$errors" ]; then echo "check.sh: pan gave no result for $label:" >&2; cat "$out" >&2; exit 2; fi
  echo "$label: states explored: ${states:-?}, errors: $errors"
  if grep -q 'search not completed\|max search depth too small' "$out"; then echo "check.sh: the search of $label was not exhaustive" >&2; exit 2; fi
  grep 'assertion violated' "$out" | head -1 | sed 's/^/  caught: /' || true
}

status=0
verify "tinydb.pml"
[ "$errors" = 0 ] || { echo "FAIL: the model of the protocol violates an invariant" >&2; status=1; }
for variant in DROP_BEFORE_META_SYNC IN_PLACE ACK_BEFORE_SYNC; do
  verify "wrong variant -D$variant" "-D$variant"
  [ "$errors" -gt 0 ] || { echo "FAIL: spin did not catch the wrong variant $variant" >&2; status=1; }
done
[ "$status" = 0 ] && echo "spec: the protocol model holds (errors: 0) and every wrong variant is caught"
exit "$status"
