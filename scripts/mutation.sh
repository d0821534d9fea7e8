#!/usr/bin/env bash
# Mutation testing with PIT over the scheduling code and the metrics (docs/testing.md, "Mutation testing").
#   scripts/mutation.sh                 every module under mutation testing
#   scripts/mutation.sh engines/apex    only the modules named (paths as in the root pom's <modules>)
# Each module mutates the classes its pom names (pit.targetClasses) against its own tests; the HTML report is
# MODULE/target/pit-reports/index.html, the raw results MODULE/target/pit-reports/mutations.xml. Prints the score
# per package at the end. Not part of ./run-tests or CI: about 40 minutes for every module on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-home.sh
ALL=(profiler engines/core engines/gpu-only engines/static-hybrid engines/apex)
MODULES=("$@")
[[ ${#MODULES[@]} -eq 0 ]] && MODULES=("${ALL[@]}")
for m in "${MODULES[@]}"; do
  [[ " ${ALL[*]} " == *" $m "* ]] || { echo "not a module under mutation testing: $m (one of: ${ALL[*]})" >&2; exit 64; }
done
list="$(IFS=,; echo "${MODULES[*]}")"
# -am builds what the modules depend on; a module under mutation testing that was not named is left out
skips=()
for m in "${ALL[@]}"; do
  [[ " ${MODULES[*]} " == *" $m "* ]] || skips+=("-Dpit.skip.${m##*/}=true")
done
# test-compile only: PIT runs the tests itself
mvn -B -ntp -Pmutation -pl "$list" -am "${skips[@]}" test-compile org.pitest:pitest-maven:mutationCoverage

echo
echo "mutation score per package (killed / mutants; a timed-out mutant counts as killed, as PIT counts it)"
for m in "${MODULES[@]}"; do
  xml="$m/target/pit-reports/mutations.xml"
  [[ -f "$xml" ]] || { echo "$m: no $xml" >&2; exit 1; }
  # one <mutation detected='true|false' status='...'> element per mutant, its class in <mutatedClass>
  tr -d '\n' < "$xml" | sed 's#</mutation>#</mutation>\n#g' | awk -v module="$m" '
    match($0, /<mutatedClass>[^<]*<\/mutatedClass>/) {
      cls = substr($0, RSTART + 14, RLENGTH - 29); pkg = cls; sub(/\.[^.]*$/, "", pkg)
      total[pkg]++
      if ($0 ~ /status=.(KILLED|TIMED_OUT|MEMORY_ERROR)./) killed[pkg]++
    }
    END { for (p in total) printf "%-22s %-34s %4d / %4d  %5.1f%%\n", module, p, killed[p], total[p], 100 * killed[p] / total[p] }' \
    | sort
done
