#!/usr/bin/env bash
# Tests of ./apex as a process (./run-tests runs this after the Maven suite):
#   1. a call with nothing changed does not build and starts well under 10 s;
#   2. a changed test source, README or benchmark does not rebuild;
#   3. a changed packaged source rebuilds once, and two `./apex run` started together at that moment both
#      succeed (one builds, the other waits for it);
#   4. `./apex` becomes the JVM (exec), so killing the launcher's pid ends the run and leaves no JVM.
# Uses the real tree and its target/apex-launcher state; it touches files' times only, never contents.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
state="$root/target/apex-launcher"
work="$(mktemp -d "${TMPDIR:-/tmp}/apex-launcher-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
builds() { grep -c '^apex: building' "$1" || true; }

# A fresh build to start from (whatever state the tree is in).
./apex --version >"$work/first.out" 2>"$work/first.err" || { cat "$work/first.err" >&2; exit 1; }

# 1. Nothing changed: no build, fast start.
start=$(date +%s%N)
./apex --help >"$work/help.out" 2>"$work/help.err"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(builds "$work/help.err")" = 0 ] || fail "a second call rebuilt with nothing changed"
grep -q '^Usage: apex' "$work/help.out" || fail "./apex --help printed no usage"
[ "$elapsed_ms" -lt 10000 ] || fail "a second ./apex --help took ${elapsed_ms} ms (>= 10 s)"
pass "second ./apex --help: no build, ${elapsed_ms} ms"
if grep -q 'sun.misc.Unsafe' "$work/first.err" "$work/help.err"; then fail "Maven's sun.misc.Unsafe warnings reached the user"; fi

# 2. Files outside what the jar packages do not trigger a build (JMH's generated sources once did).
touch README.md harness/src/test/java/org/apexbench/harness/GenerateCommandTest.java \
  benchmarks/src/main/java/org/apexbench/bench/ApexDecisionBench.java
mkdir -p benchmarks/target/generated-sources && touch benchmarks/target/generated-sources/Generated.java
./apex --version >/dev/null 2>"$work/untouched.err"
[ "$(builds "$work/untouched.err")" = 0 ] || fail "a test source, README or benchmark change rebuilt the harness"
pass "a test source, README or benchmark change does not rebuild"

# 3. A packaged source changed and two runs start at once: one builds, the other waits for that build;
#    both write their results, and the call after them does not build again.
touch workloads/src/main/java/org/apexbench/workloads/RequestSpec.java
run_args=(run --engine gpu-only --backend sim --model llama-2-7b --requests synthetic:count=20,input=64,output=16
  --seed 3 --quiet)
./apex "${run_args[@]}" --out "$work/run-a" >"$work/a.out" 2>"$work/a.err" & a=$!
./apex "${run_args[@]}" --out "$work/run-b" >"$work/b.out" 2>"$work/b.err" & b=$!
wait $a || fail "first concurrent run failed: $(tail -5 "$work/a.err")"
wait $b || fail "second concurrent run failed: $(tail -5 "$work/b.err")"
total=$(( $(builds "$work/a.err") + $(builds "$work/b.err") ))
[ "$total" = 1 ] || fail "a changed source and two concurrent calls built $total times (expected 1)"
for r in run-a run-b; do [ -f "$work/$r/summary.json" ] || fail "$r has no summary.json"; done
cmp -s "$work/run-a/summary.json" "$work/run-b/summary.json" || fail "the two runs of the same seed differ"
./apex --version >/dev/null 2>"$work/after.err"
[ "$(builds "$work/after.err")" = 0 ] || fail "the call after a rebuild rebuilt again"
pass "a changed source rebuilds once; two concurrent ./apex run during that rebuild both succeed"

# 4. The launcher's pid becomes the JVM; killing it leaves nothing behind.
./apex run --engine gpu-only --backend sim --model llama-2-7b --requests long-output:count=100000 --seed 1 \
  --quiet --out "$work/killed" >/dev/null 2>&1 & k=$!
exe=""
for _ in $(seq 1 200); do
  exe="$(readlink "/proc/$k/exe" 2>/dev/null || true)"
  [[ "$exe" == */java ]] && break
  sleep 0.1
done
[[ "$exe" == */java ]] || fail "./apex did not exec java (pid $k runs '$exe')"
kill -TERM "$k"
wait "$k" 2>/dev/null || true
sleep 0.5
leftover="$(pgrep -f -- "--out $work/killed" || true)"
[ -z "$leftover" ] || fail "processes survived the killed launcher: $leftover"
pass "./apex execs the JVM (pid $k was $exe); killing it leaves no process"

[ "$failures" = 0 ] || { echo "launcher tests: $failures failed" >&2; exit 1; }
echo "launcher tests: all passed"
