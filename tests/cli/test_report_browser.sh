#!/usr/bin/env bash
# whyalive report in a real browser (issue 17): Debian's headless Chromium,
# driven over the DevTools protocol by report_browser.py (standard library
# only). Each page loads from a file:// URL with no console error, no CSP
# violation, no network request and no dialog; the script builds every
# section. The example's report names ConversationTranscriber first; the tree
# expands three levels with the keyboard, the type table sorts and filters,
# the pictures decode and parse as SVG; the hostile dumps' pages run no
# script of theirs and show their markup as text. Screenshots of the pages go
# to $WA_BUILD/report-screenshots for people to look at.
# Exit 77 (ctest: skipped) when chromium is not installed (scripts/setup.sh
# installs it).
source "$(dirname "$0")/lib.sh"
W=$WA_BIN
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
A=$WA_FIXTURES/analysis
HF=$WA_FIXTURES/hostile
STT=$WA_SRC/examples/snapshots/stt-leak.jsonl
if ! command -v "${WA_CHROMIUM:-chromium}" >/dev/null; then
  echo "skipped: chromium is not installed (scripts/setup.sh installs it)"
  exit 77
fi
SHOTS=${WA_BUILD:-$T}/report-screenshots
mkdir -p "$SHOTS"

# browser LABEL PAGE ARGS...: the page passes the browser checks
browser() {
  local label=$1 page=$2
  shift 2
  if timeout 120 $PY "$HERE/report_browser.py" "$page" "$@" >"$T/bout" 2>&1; then
    ok "$label"
  else
    fail "$label"
    sed 's/^/  /' "$T/bout" >&2
  fi
}

"$W" report "$STT" -o "$T/stt.html" >/dev/null
browser "example dump: loads clean, ConversationTranscriber first, tree/sort/filter/pictures work" "$T/stt.html" \
  --check basic --expect-verdict ConversationTranscriber --screenshot "$SHOTS/stt.png"

"$W" report "$A/grow1.jsonl" "$A/grow2.jsonl" "$A/grow3.jsonl" -o "$T/grow.html" >/dev/null
browser "three dumps: loads clean, growth and survivors shown, tree/sort/filter/pictures work" "$T/grow.html" \
  --check basic --expect-text "Growth across the dumps" --expect-text "Survivors:" --screenshot "$SHOTS/grow.png" \
  --pdf "$SHOTS/grow.pdf"

browser "three dumps on a 360 px screen: no sideways scrolling, tree/sort/filter work" "$T/grow.html" \
  --narrow --check basic --screenshot "$SHOTS/grow-narrow.png"

"$W" report "$HF/hostile.jsonl" -o "$T/hostile.html" >/dev/null
browser "hostile dump: no script of the dump runs, its markup reads as text, escapes visible, fits 360 px" "$T/hostile.html" --narrow \
  --check hostile --check basic --expect-text "<script>alert(1)</script>" --expect-text '\u202e' \
  --expect-text '\x1b]0;pwned\x07' --screenshot "$SHOTS/hostile.png"

"$W" report "$HF/hostile_step1.jsonl" "$HF/hostile_step2.jsonl" "$HF/hostile_step3.jsonl" -o "$T/h3.html" >/dev/null
browser "hostile three-dump page: nothing runs" "$T/h3.html" --check hostile --expect-text "<script>alert(1)</script>"

"$W" report "$STT" -o "$T/nosus.html" --no-suspects >/dev/null
browser "--no-suspects page: loads clean, says so, the rest works" "$T/nosus.html" --check basic \
  --expect-text "not searched for"

# the checker itself fails on a page that breaks the rules: a report whose
# data block was made to close its element runs the dump's script
sed 's|<script type="application/json" id="wa-data">|&</script><script>alert(1)</script><script type="application/json">|' \
  "$T/hostile.html" >"$T/broken.html"
if timeout 120 $PY "$HERE/report_browser.py" "$T/broken.html" --check hostile >"$T/bout" 2>&1; then
  fail "the browser checks passed a page with an injected script"
else
  grep -q "script elements\|dialog\|log error\|console error" "$T/bout" && ok "the browser checks catch an injected script" ||
    { fail "the browser checks failed the broken page for another reason"; sed 's/^/  /' "$T/bout" >&2; }
fi
finish
