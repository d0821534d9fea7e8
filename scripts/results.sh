#!/usr/bin/env bash
# Regenerates docs/results.md and the headline table of README.md: runs every result command into
# runs/results/ (or $APEX_RESULTS_DIR), then renders both from the files those commands wrote
# (scripts/render_results.py, Python 3 standard library only). Nothing in docs/results.md is typed by hand.
#   scripts/results.sh            all figures (~7 minutes on 2 cores)
#   scripts/results.sh --render   only re-render from an existing runs/results/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/java-home.sh   # java and mvn below are Java 25
out="${APEX_RESULTS_DIR:-runs/results}"

if [ "${1:-}" != "--render" ]; then
  rm -rf "$out"
  mkdir -p "$out"
  load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
  ./apex --version >/dev/null 2>&1 || ./apex --version   # build first, so no figure's time includes a build
  : >"$out/commands.tsv"
  # figure id, then the command exactly as docs/results.md shows it
  fig() {
    local id="$1"; shift
    local start end
    echo "results: $id" >&2
    start=$(date +%s)
    "$@" >"$out/$id.log" 2>&1 || { echo "results: '$*' failed, see $out/$id.log" >&2; tail -20 "$out/$id.log" >&2; exit 1; }
    end=$(date +%s)
    printf '%s\t%s\t%s\n' "$id" "$((end - start))" "$*" >>"$out/commands.tsv"
  }
  fig compare ./apex compare --quiet --out "$out/compare"
  fig paper ./apex reproduce paper --quiet --out "$out/paper"
  engines7='gpu-only,static-hybrid:neo,static-hybrid:neo[runtime=two-thread],static-hybrid:fastdecode,static-hybrid:offload,apex,apex[amortizedAdmission=true]'
  fig settings-t4 ./apex compare --quiet --engines "$engines7" --hardware t4-g4dn.4xlarge --model llama-2-7b \
    --max-running 256 --max-tokens 2048 --requests long-output:count=500 --seed 1 --out "$out/settings-t4"
  fig settings-a10g ./apex compare --quiet --engines "$engines7" --hardware a10g-g5.8xlarge --model llama-3.1-8b \
    --max-running 256 --max-tokens 2048 --requests long-output:count=500 --seed 1 --out "$out/settings-a10g"
  fig settings-neo ./apex compare --quiet --engines "$engines7" --hardware t4-g4dn.4xlarge --model llama-2-7b \
    --max-running 256 --max-tokens 2048 --gpu-kv-blocks 54 --requests synthetic:count=1000,input=373,output=45 \
    --seed 1 --out "$out/settings-neo"
  fig max-rate-a10g ./apex sweep --quiet --engines gpu-only,static-hybrid:neo,apex --find-max-rate --slo-tpot-ms 200 \
    --slo-ttft-ms 10000 --hardware a10g-g5.8xlarge --model llama-3.1-8b --max-tokens 4096 \
    --requests sharegpt:count=500 --min-rate 0.1 --max-rate 20 --search-steps 6 --seed 1 --out "$out/max-rate-a10g"
  fig max-rate-t4 ./apex sweep --quiet --engines gpu-only,static-hybrid:neo,apex --find-max-rate --slo-tpot-ms 200 \
    --slo-ttft-ms 10000 --requests cot:cap=2048,count=300 --min-rate 0.01 --max-rate 4 --search-steps 6 --seed 1 \
    --out "$out/max-rate-t4"
  fig max-rate-neo ./apex sweep --quiet --engines 'gpu-only,static-hybrid:neo,static-hybrid:neo[runtime=two-thread],apex' \
    --find-max-rate --slo-tpot-ms 200 --slo-ttft-ms 10000 --gpu-kv-blocks 54 --host-kv-blocks 4096 \
    --requests synthetic:count=300,input=373,output=45 --min-rate 0.1 --max-rate 20 --search-steps 6 --seed 1 \
    --out "$out/max-rate-neo"
  fig recalibration ./apex sweep --quiet --engines 'gpu-only,static-hybrid:neo,apex[recalibrate=false],apex' \
    --over sim-cpu-slowdown --values 0.5,1,2,3 --requests long-output:count=300 --seed 1 --out "$out/recalibration"
  fig microbench-attention ./apex microbench cpu-attention
  fig microbench-gemv ./apex microbench cpu-gemv
  # JMH needs the benchmarks jar; built under the launcher's lock, so Maven never runs twice in this tree.
  echo "results: building benchmarks/target/apex-benchmarks.jar" >&2
  mkdir -p target/apex-launcher
  flock target/apex-launcher/build.lock mvn -B -q -ntp -Dmaven.test.skip=true -pl benchmarks -am package \
    >"$out/jmh-build.log" 2>&1 || { tail -20 "$out/jmh-build.log" >&2; exit 1; }
  # the machine is shared: the load around the benchmark goes beside its figures
  jmh_load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
  # the target's state (512 host, 512 queued requests) with SLOs and without them (the peer, same run); four forks of
  # 5 x 1 s warmup and 5 x 1 s measured: the JVM's JIT modes differ between forks, and a loaded VM compiles late
  fig jmh-decision java -jar benchmarks/target/apex-benchmarks.jar ApexDecisionBench -p hostRequests=512 -p waiting=512 \
    -f 4 -wi 5 -i 5 -rf csv -rff "$out/jmh-decision.csv"
  echo "$jmh_load at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end" >"$out/jmh-decision.load"
  # The machine and the commit the figures belong to.
  {
    echo "commit=$(git rev-parse HEAD)"
    echo "dirty=$(git status --porcelain --untracked-files=no -- . ':!docs/results.md' ':!README.md' | grep -q . && echo yes || echo no)"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || uname -m)"
    echo "cores=$(nproc)"
    echo "memory_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo '?')"
    echo "load=$load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end"
    echo "java=$(java -version 2>&1 | grep -v incubator | head -1)"
    echo "os=$(uname -sr)"
  } >"$out/machine.properties"
fi
python3 scripts/render_results.py "$out" docs/results.md README.md
echo "results: wrote docs/results.md and README.md's headline table from $out" >&2
