#!/usr/bin/env bash
# Compiles every kernels/src/main/cuda/*.cu to PTX for the Maven build (kernels/pom.xml, phase
# generate-resources). Usage: build-ptx.sh <nvcc> <out-dir> <ptx-isa> [cubin-archs]
#   <nvcc>        nvcc to use ("nvcc" = from PATH). Absent -> the jar ships without kernels and says so.
#   <ptx-isa>     rewrite the PTX ".version" to this ISA (e.g. 7.8) so drivers older than the toolkit can
#                 JIT it; "keep" leaves nvcc's version. ptxas verifies the rewritten PTX for sm_75.
#   [cubin-archs] optional comma list (e.g. 80,90): also build <name>.fatbin with SASS for these archs
#                 plus compute_75 PTX; the loader prefers a fatbin when the jar has one.
# Always writes <out-dir>/ptx-build.properties, which CudaBackend reads to explain what the jar holds.
set -euo pipefail
NVCC="${1:?nvcc}"; OUT="${2:?out dir}"; ISA="${3:-keep}"; CUBINS="${4:-}"
SRC="$(cd "$(dirname "$0")" && pwd)"
FLAGS=(-ptx -arch=compute_75 -O3 -std=c++17 -lineinfo)
mkdir -p "$OUT"
rm -f "$OUT"/*.ptx "$OUT"/*.fatbin   # never leave kernels of an earlier build behind
PROPS="$OUT/ptx-build.properties"
if ! command -v "$NVCC" >/dev/null 2>&1; then
  echo "[build-ptx] '$NVCC' not found: building WITHOUT CUDA kernels (the cuda backend will say so)"
  { echo "# written by kernels/src/main/cuda/build-ptx.sh"; echo "nvcc=absent"; echo "kernels="; } > "$PROPS"
  exit 0
fi
VERSION="$("$NVCC" --version | grep -o 'release [0-9.]*, V[0-9.]*' | head -1)"
PTXAS="$(dirname "$(command -v "$NVCC")")/ptxas"
KERNELS=()
for cu in "$SRC"/*.cu; do
  name="$(basename "$cu" .cu)"
  "$NVCC" "${FLAGS[@]}" -o "$OUT/$name.ptx" "$cu"
  NATIVE_ISA="$(grep -m1 '^\.version' "$OUT/$name.ptx" | awk '{print $2}')"
  if [[ "$ISA" != keep ]]; then
    sed -i "s/^\.version .*/.version $ISA/" "$OUT/$name.ptx"
    if [[ -x "$PTXAS" ]]; then "$PTXAS" -arch=sm_75 "$OUT/$name.ptx" -o /dev/null; fi
  fi
  if [[ -n "$CUBINS" ]]; then
    GENCODE=(-gencode arch=compute_75,code=compute_75)
    for a in ${CUBINS//,/ }; do GENCODE+=(-gencode "arch=compute_$a,code=sm_$a"); done
    "$NVCC" -fatbin -O3 -std=c++17 -lineinfo "${GENCODE[@]}" -o "$OUT/$name.fatbin" "$cu"
  fi
  KERNELS+=("$name")
done
{
  echo "# written by kernels/src/main/cuda/build-ptx.sh"
  echo "nvcc=$VERSION"
  echo "flags=${FLAGS[*]}"
  echo "ptx.isa.native=$NATIVE_ISA"
  echo "ptx.isa=$( [[ $ISA == keep ]] && echo "$NATIVE_ISA" || echo "$ISA")"
  echo "cubins=$CUBINS"
  echo "kernels=$(IFS=,; echo "${KERNELS[*]}")"
} > "$PROPS"
echo "[build-ptx] $VERSION -> ${#KERNELS[@]} PTX modules in $OUT (ISA $ISA, cubins '${CUBINS}')"
