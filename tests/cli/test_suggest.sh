#!/usr/bin/env bash
# "Did you mean" (issue 14, item 5): unknown commands and options name the
# closest one (exit 2); a selection whose type or module test matches no type
# says so and names the closest type or module (exit 0, empty result), in
# every command that selects; names from the dump in the note are escaped.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl

expect_exit 2 "$wa" sumary "$ex" && {
  contains "$T/err" "whyalive: error: unknown command 'sumary'; did you mean 'summary'?"
  ok "unknown command: closest named"
}
expect_exit 2 "$wa" grahp "$ex" && contains "$T/err" "did you mean 'graph'?"
expect_exit 2 "$wa" frobnicate "$ex" && {
  grep -q "did you mean" "$T/err" && fail "a suggestion for a word close to nothing"
  contains "$T/err" "unknown command 'frobnicate'"
}
expect_exit 2 "$wa" paths --limt 3 "$ex" && {
  contains "$T/err" "paths: unknown option '--limt'; did you mean '--limit'?"
  ok "unknown option: closest named"
}
expect_exit 2 "$wa" summary --jsn "$ex" && contains "$T/err" "did you mean '--json'?"
expect_exit 2 "$wa" suspects --baseline-file x "$ex" && {
  grep -q "did you mean" "$T/err" && fail "suggested an option for --baseline-file: $(head -1 "$T/err")"
  true
}

for cmd in paths retainers dominators "graph -o $T/g.dot" summary; do
  # shellcheck disable=SC2086
  expect_exit 0 "$wa" $cmd --select ConversationTranscribr "$ex" && {
    contains "$T/err" "no type is named 'ConversationTranscribr'; did you mean 'ConversationTranscriber'?"
  }
done
ok "a mistyped type in every selecting command"
expect_exit 0 "$wa" paths --select 'type:ConversationTranscriber' "$ex" &&
  contains "$T/err" "did you mean 'type=ConversationTranscriber'?"
expect_exit 0 "$wa" paths --select 'conversationtranscriber' "$ex" &&
  contains "$T/err" "did you mean 'ConversationTranscriber'?"
expect_exit 0 "$wa" paths --select 'module=ap' "$ex" &&
  contains "$T/err" "no module is named 'ap'; did you mean 'app'?"
expect_exit 0 "$wa" paths --select 'ConversationTranscriber and size>1GB' "$ex" && {
  grep -q "did you mean\|no type is named" "$T/err" && fail "a suggestion when the type exists"
  contains "$T/err" "the selection matched no object"
}
expect_exit 0 "$wa" paths -q --select ConversationTranscribr "$ex" && {
  [ ! -s "$T/err" ] || fail "--quiet still printed: $(cat "$T/err")"
}
expect_exit 0 "$wa" paths --json --select ConversationTranscribr "$ex" && {
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "--json output broken by the note"
}
ok "type:, case, module and silence when the type exists"

expect_exit 2 "$wa" summary --select 'type=x and siez>3' "$ex" && {
  contains "$T/err" "column 12: unknown field 'siez'; did you mean 'size'?"
  ok "unknown selector field: closest named"
}

# Usage fixes (issue 14, item 8): a count too large says so; --each with -k
# is refused, as the usage line says.
expect_exit 2 "$wa" paths --limit 99999999999999999999 --select ConversationTranscriber "$ex" && {
  one_line "$T/err"
  contains "$T/err" "paths: --limit: '99999999999999999999' is too large"
}
expect_exit 2 "$wa" paths --each -k 2 --select ConversationTranscriber "$ex" && {
  contains "$T/err" "--each, -k N, --holders and --cut are alternatives"
  [ ! -s "$T/out" ] || fail "paths --each -k printed output"
  ok "usage: too large, --each with -k"
}

# A dump whose type names carry escapes: the suggestion quotes them escaped.
hostile=$WA_FIXTURES/hostile/hostile.jsonl
if [ -n "$hostile" ]; then
  "$wa" paths --select 'Evil' "$hostile" >/dev/null 2>"$T/err" || true
  /usr/bin/python3 "$WA_FIXTURES/hostile/inert.py" "$T/err" || fail "suggestion note not inert"
  ok "suggestions on a hostile dump are inert"
fi
finish
