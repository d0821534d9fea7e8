#!/usr/bin/env bash
# Prepared GPU check for the cuda backend; finishes in < 5 minutes on one H100.
#   1. device and driver (nvidia-smi)
#   2. org.apexbench.kernels.cuda.GpuCheck on the dist runtime (no Maven/JUnit needed): per-op parity
#      against the cpu backend, then one line per op: time, GB/s or TFLOP/s, % of the measured
#      device-to-device copy bandwidth, and the target it is judged by
#   3. the test-data models (FixtureParity) on cuda: testdata/models, or $APEX_FIXTURES
#   4. the real two-thread executor on cuda (RealEngineCheck): every engine on tiny-llama3 under a tight
#      GPU KV budget (host offload through pinned memory, swaps, preemption) against an unconstrained
#      gpu-only cuda run, teacher-forced so that every position is compared: same greedy tokens, or a
#      divergence only at an fp16 near-tie (reported); every swap fence the host thread must await, awaited
#   5. where PyTorch sees the GPU: the same shapes through torch (matmul, scaled_dot_product_attention)
#      and the side-by-side ratios
#   6. the distribution's own command line on this host: a small sim comparison with its report (charts
#      drawn headless, with the bundled font where the host has none)
#   7. sim vs real on this GPU: `apex validate --backend cuda` (docs/validation.md) on tiny-llama3, gpu-only and
#      NEO's two-thread runtime, 64 requests, one warm-up round each side of the recalibration, one real run
#      each (bounded at 150 s), into $OUT/validate-cuda; its summary lines (throughput and median TPOT, real vs
#      simulated, and the error) are printed and kept in $OUT/validate-cuda.log
# CSV and logs go to $OUT (default ./gpu-check-out). Exit code: GpuCheck's (0 ok, 1 parity failure,
# 2 cuda unavailable), else the first failing step's. Run from anywhere:
#   scripts/gpu-check.sh [DIST]
# DIST (or $APEX_DIST) is the distribution (docs/distribution.md): its folder, or its archive
# apex-dist.tar.gz, which is unpacked into a temporary folder. Without it: harness/target/dist, else
# harness/target/apex-dist.tar.gz (carry that where the folder exceeds a 64 MiB transfer limit), else
# built here when Maven and Java 25 are there (mvn -Pdist -pl harness -am package -DskipTests).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-check-out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

echo "== device"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory,pcie.link.gen.max,pcie.link.width.max \
    --format=csv | tee "$OUT/nvidia-smi.csv"
  nvidia-smi | sed -n '1,12p'
else
  echo "nvidia-smi not found: no NVIDIA driver here" | tee "$OUT/nvidia-smi.csv"
fi

DIST="${1:-${APEX_DIST:-}}"
if [[ -z "$DIST" ]]; then
  if [[ -x "$ROOT/harness/target/dist/bin/apex-java" ]]; then DIST="$ROOT/harness/target/dist"
  elif [[ -f "$ROOT/harness/target/apex-dist.tar.gz" ]]; then DIST="$ROOT/harness/target/apex-dist.tar.gz"
  else
    echo "== building the dist (neither harness/target/dist nor harness/target/apex-dist.tar.gz is here)"
    ( cd "$ROOT" && source scripts/java-home.sh && mvn -B -q -ntp -Pdist -pl harness -am package -DskipTests ) || {
      echo "cannot build the dist here; build it elsewhere and copy harness/target/apex-dist.tar.gz" >&2; exit 3; }
    DIST="$ROOT/harness/target/dist"
  fi
fi
if [[ -f "$DIST" ]]; then
  echo "== unpacking $DIST"
  unpacked="$(mktemp -d "${TMPDIR:-/tmp}/apex-dist.XXXXXX")"
  trap 'rm -rf "$unpacked"' EXIT
  tar -xf "$DIST" -C "$unpacked" || { echo "cannot unpack $DIST (expected apex-dist.tar.gz)" >&2; exit 3; }
  DIST="$unpacked/apex-dist"
fi
if [[ ! -x "$DIST/bin/apex-java" ]]; then
  echo "$DIST is not an APEX Bench distribution: no bin/apex-java in it" >&2; exit 3
fi
echo "dist: $DIST, built from $(cat "$DIST/COMMIT" 2>/dev/null || echo 'an unknown commit')"

echo "== GpuCheck (parity + microbenchmarks)"
timeout 240 "$DIST/bin/apex-java" -Xmx8g org.apexbench.kernels.cuda.GpuCheck --out "$OUT" 2>&1 | tee "$OUT/gpu-check.log"
rc=${PIPESTATUS[0]}

echo "== fixture models on cuda (tiny Llama-2 / Llama-3 vs Hugging Face references)"
FIXTURES="${APEX_FIXTURES:-$ROOT/testdata/models}"
if [[ -d "$FIXTURES/tiny-llama3" ]]; then
  timeout 120 "$DIST/bin/apex-java" -Xmx4g org.apexbench.model.cuda.FixtureParity "$FIXTURES" cuda 2>&1 | tee "$OUT/fixtures.log"
  frc=${PIPESTATUS[0]}
  [[ $rc -eq 0 && $frc -ne 0 ]] && rc=$frc
else
  echo "no test-data models at $FIXTURES (set APEX_FIXTURES): skipped" | tee "$OUT/fixtures.log"
fi

echo "== real executor on cuda (every engine, tight GPU KV budget, tiny-llama3)"
if [[ -d "$FIXTURES/tiny-llama3" ]]; then
  timeout 90 "$DIST/bin/apex-java" -Xmx4g org.apexbench.harness.RealEngineCheck "$FIXTURES/tiny-llama3" cuda 2>&1 | tee "$OUT/real-engines.log"
  erc=${PIPESTATUS[0]}
  [[ $rc -eq 0 && $erc -ne 0 ]] && rc=$erc
else
  echo "no test-data models at $FIXTURES: skipped" | tee "$OUT/real-engines.log"
fi

echo "== torch side by side"
if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" >/dev/null 2>&1; then
  timeout 120 python3 "$ROOT/scripts/gpu_torch_compare.py" --java-csv "$OUT/gpu-check.csv" --out "$OUT" 2>&1 | tee "$OUT/torch.log"
else
  echo "python3 with a CUDA-enabled torch is not available: no torch comparison" | tee "$OUT/torch.log"
fi
echo "== the distribution's command line: a small sim comparison and its report on this host"
rm -rf "$OUT/dist-compare"
timeout 120 "$DIST/bin/apex" compare --requests synthetic:count=20,input=64,output=16 --out "$OUT/dist-compare" --quiet \
  2>&1 | tee "$OUT/dist-compare.log"
crc=${PIPESTATUS[0]}
[[ $crc -eq 0 && ! -f "$OUT/dist-compare/report.html" ]] && crc=1
[[ $rc -eq 0 && $crc -ne 0 ]] && rc=$crc

echo "== sim vs real on cuda: apex validate (tiny-llama3, gpu-only and NEO two-thread, 1 real run each)"
if [[ -d "$FIXTURES/tiny-llama3" ]]; then
  rm -rf "$OUT/validate-cuda"
  # stdout: one summary line per engine (real vs simulated throughput and median TPOT); --quiet drops the progress
  timeout 150 "$DIST/bin/apex" validate --backend cuda --model "$FIXTURES/tiny-llama3" \
    --engines 'gpu-only,static-hybrid:neo[runtime=two-thread]' --requests synthetic:count=64,input=48,output=64 \
    --repeats 1 --warm-up-runs 1 --out "$OUT/validate-cuda" --quiet 2>&1 | tee "$OUT/validate-cuda.log"
  vrc=${PIPESTATUS[0]}
  [[ $vrc -eq 0 && ! -f "$OUT/validate-cuda/validation.csv" ]] && vrc=1
  [[ $rc -eq 0 && $vrc -ne 0 ]] && rc=$vrc
else
  echo "no test-data models at $FIXTURES: skipped" | tee "$OUT/validate-cuda.log"
fi
echo "== done (GpuCheck exit $rc); results in $OUT"
exit "$rc"
