#!/usr/bin/env bash
# Golden outputs of simulated runs: a safety net for refactors that must not change what the engines do.
#
#   scripts/golden-sim.sh record FILE   run the golden set and write the SHA-256 of every output to FILE
#   scripts/golden-sim.sh check FILE    run it again and compare with FILE (exit 1 and a diff on any change)
#
# The set covers every engine and host runtime (gpu-only with recompute and swap preemption and scheduler=exact,
# static-hybrid:neo single-thread and two-thread, fastdecode, offload, apex with its defaults and with
# recalibrate=false, amortizedAdmission=true, tpotSloMs, pipeline=false, neoPacking=false), every strategy
# (the script fails unless GPU_ONLY, ASYNC_OVERLAP, ASYMMETRIC_PIPELINE, SYMMETRIC_PIPELINE and
# OFFLOAD_SERIAL all ran), swaps and preemptions (tight --gpu-kv-blocks), a slow host (--sim-cpu-slowdown 3),
# jitter, T4 and A10G, open and closed loop, and full subtask timelines (--all-subtasks). Hashed: every
# requests.csv, iterations.csv, subtasks.csv, comparison.csv and summary.json (not environment.json,
# manifests or vllm-result.json, which carry dates). Runs with ./apex (built when stale); a few minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"
list="${2:-}"
if [[ "$mode" != record && "$mode" != check ]] || [ -z "$list" ]; then
  echo "usage: scripts/golden-sim.sh record|check FILE" >&2
  exit 2
fi
list="$(cd "$(dirname "$list")" && pwd)/$(basename "$list")"
out="$root/target/golden-sim"
rm -rf "$out"
mkdir -p "$out"
apex() { "$root/apex" "$@" --quiet >/dev/null; }

all_engines='gpu-only,gpu-only[preemption=swap],gpu-only[scheduler=exact],static-hybrid:neo,static-hybrid:neo[runtime=two-thread],static-hybrid:fastdecode,static-hybrid:offload,apex,apex[recalibrate=false],apex[amortizedAdmission=true],apex[tpotSloMs=150],apex[pipeline=false],apex[neoPacking=false]'

# 1. T4 + llama-2-7b, decode-heavy mix, every engine, the report's timeline window only.
#    236 GPU blocks: the T4's former default pool (vLLM's rule on the driver-reported memory leaves too few for long-output).
apex compare --hardware t4-g4dn.4xlarge --model llama-2-7b --engines "$all_engines" --gpu-kv-blocks 236 \
  --requests 'mixed:sharegpt=0.5,long-output=0.5;count=24,rate=0.2' --seed 3 --out "$out/t4-mix"
# 1b. The same engines with every subtask recorded (a shorter workload).
apex compare --hardware t4-g4dn.4xlarge --model llama-2-7b --engines "$all_engines" --all-subtasks --gpu-kv-blocks 60 \
  --requests 'synthetic:count=16,input=300,output=120,rate=1' --seed 4 --out "$out/t4-all"
# 2. T4, a GPU KV pool too small for the load: swaps, recompute and host admission everywhere.
apex compare --hardware t4-g4dn.4xlarge --model llama-2-7b --engines "$all_engines" --gpu-kv-blocks 48 \
  --host-kv-blocks 4000 --requests 'synthetic:count=40,input=300,output=200,rate=1' --seed 5 --out "$out/t4-tight"
# 3. A10G + llama-3.1-8b, a host three times slower than profiled, with jitter.
apex compare --hardware a10g-g5.2xlarge --model llama-3.1-8b \
  --engines 'static-hybrid:neo,static-hybrid:offload,apex,apex[recalibrate=false],apex[amortizedAdmission=true]' \
  --sim-cpu-slowdown 3 --jitter 0.1 --gpu-kv-blocks 700 --max-tokens 8192 \
  --requests 'mixed:chat=0.4,sharegpt=0.3,long-output=0.3;count=40,rate=2' --seed 7 --out "$out/a10g-slow"
# 4. A10G + llama-3.2-1b, closed loop, every engine.
apex compare --hardware a10g-g5.4xlarge --model llama-3.2-1b --engines "$all_engines" --gpu-kv-blocks 120 \
  --requests 'synthetic:count=30,input=400,output=160,concurrency=12' --seed 11 --out "$out/a10g-closed"
# 5. Single runs: apex on T4 with jitter and all subtasks; gpu-only swap under a tiny pool on A10G.
apex run --engine apex --hardware t4-g4dn.4xlarge --model llama-2-7b --jitter 0.05 --all-subtasks \
  --requests 'synthetic:count=12,input=500,output=200,rate=0.5' --seed 13 --out "$out/t4-apex-jitter"
apex run --engine gpu-only --engine-option preemption=swap --hardware a10g-g5.2xlarge --model llama-3.1-8b \
  --gpu-kv-blocks 40 --requests 'synthetic:count=24,input=200,output=150,rate=4' --seed 17 --out "$out/a10g-gpu-only-swap"
apex run --engine static-hybrid:neo --hardware a10g-g5.2xlarge --model llama-3.1-8b --sim-cpu-slowdown 3 \
  --all-subtasks --requests 'long-output:count=16,rate=1' --seed 19 --out "$out/a10g-neo-slow"

# Every strategy must have run somewhere, or the set does not cover what it claims.
for s in GPU_ONLY ASYNC_OVERLAP ASYMMETRIC_PIPELINE SYMMETRIC_PIPELINE OFFLOAD_SERIAL; do
  if ! grep -rqs ",$s," --include=iterations.csv "$out"; then
    echo "golden-sim: no iteration ran $s; the golden set no longer covers it" >&2
    exit 1
  fi
done

current="$out/golden.sha256"
(cd "$out" && find . -type f \( -name requests.csv -o -name iterations.csv -o -name subtasks.csv \
  -o -name comparison.csv -o -name summary.json \) -print0 | sort -z | xargs -0 sha256sum) > "$current"
echo "golden-sim: $(wc -l < "$current") files hashed under $out"
if [ "$mode" = record ]; then
  cp "$current" "$list"
  echo "golden-sim: recorded $list"
else
  if diff -u "$list" "$current"; then
    echo "golden-sim: identical to $list"
  else
    echo "golden-sim: outputs differ from $list" >&2
    exit 1
  fi
fi
