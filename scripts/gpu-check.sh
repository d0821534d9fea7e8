#!/usr/bin/env bash
# Prepared GPU check for the cuda backend; finishes in < 5 minutes on one H100.
#   1. device and driver (nvidia-smi)
#   2. org.apexbench.kernels.cuda.GpuCheck on the dist runtime (no Maven/JUnit needed): per-op parity
#      against the cpu backend, then one line per op: time, GB/s or TFLOP/s, % of the measured
#      device-to-device copy bandwidth, and the target it is judged by
#   3. the test-data models (FixtureParity) on cuda: testdata/models, or $APEX_FIXTURES
#   4. the real two-thread executor on cuda (RealEngineCheck): every engine on tiny-llama3 under a tight
#      GPU KV budget (host offload through pinned memory, swaps, preemption) against an unconstrained
#      gpu-only cuda run: same greedy tokens, or a divergence only at an fp16 near-tie (reported)
#   5. where PyTorch sees the GPU: the same shapes through torch (matmul, scaled_dot_product_attention)
#      and the side-by-side ratios
# CSV and logs go to $OUT (default ./gpu-check-out). Exit code: GpuCheck's (0 ok, 1 parity failure,
# 2 cuda unavailable). Run from anywhere; needs harness/target/dist (mvn -Pdist -pl harness -am package
# -DskipTests), which it builds when Maven and Java 25 are there and the dist is missing.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-check-out}"
mkdir -p "$OUT"
DIST="$ROOT/harness/target/dist"

echo "== device"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory,pcie.link.gen.max,pcie.link.width.max \
    --format=csv | tee "$OUT/nvidia-smi.csv"
  nvidia-smi | sed -n '1,12p'
else
  echo "nvidia-smi not found: no NVIDIA driver here" | tee "$OUT/nvidia-smi.csv"
fi

if [[ ! -x "$DIST/bin/apex-java" ]]; then
  echo "== building the dist (harness/target/dist is missing)"
  ( cd "$ROOT" && source scripts/java-home.sh && mvn -B -q -ntp -Pdist -pl harness -am package -DskipTests ) || {
    echo "cannot build the dist here; build it elsewhere and copy harness/target/dist" >&2; exit 3; }
fi

echo "== GpuCheck (parity + microbenchmarks)"
timeout 240 "$DIST/bin/apex-java" -Xmx8g org.apexbench.kernels.cuda.GpuCheck --out "$OUT" 2>&1 | tee "$OUT/gpu-check.log"
rc=${PIPESTATUS[0]}

echo "== fixture models on cuda (tiny Llama-2 / Llama-3 vs Hugging Face references)"
FIXTURES="${APEX_FIXTURES:-$ROOT/testdata/models}"
if [[ -d "$FIXTURES/tiny-llama3" ]]; then
  timeout 120 "$DIST/bin/apex-java" -Xmx4g org.apexbench.engine.model.cuda.FixtureParity "$FIXTURES" cuda 2>&1 | tee "$OUT/fixtures.log"
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
echo "== done (GpuCheck exit $rc); results in $OUT"
exit "$rc"
