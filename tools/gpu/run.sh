#!/usr/bin/env bash
# On a GPU host that has Python and a CUDA PyTorch but no Java (the `device` machines): unpacks the bundle made by
# tools/gpu/bundle.sh, points DJL at the host's own libtorch, builds DJL's JNI glue against it when the host's torch
# is not 2.7.1 (the glue in pytorch-jni is built for 2.7.1's C++ ABI), writes random 7B-shaped LLaVA-1.5 weights
# (float16) and runs tools/bench/side_by_side.py on CUDA: transformers float16 next to the engine float16, batch 1,
# 8 and 32, with GPU memory. Run from the repository root:
#
#   tools/gpu/run.sh [BUNDLE (default .gpu-bundle)] [extra side_by_side.py flags, e.g. --repeats 3]
#
# Environment: PYTHON (default python3), WORK (default /tmp/kaption-gpu; needs ~15 GB for the weights).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="${1:-$root/.gpu-bundle}"; shift || true
py="${PYTHON:-python3}"
work="${WORK:-/tmp/kaption-gpu}"
mkdir -p "$work"
tar -xJf "$bundle/kaption-gpu.tar.xz" -C "$work"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
read -r torch_lib torch_version cuda_flavor cmake_prefix < <("$py" -c '
import os, torch
print(os.path.join(os.path.dirname(torch.__file__), "lib"), torch.__version__.split("+")[0],
      "cu" + torch.version.cuda.replace(".", ""), torch.utils.cmake_prefix_path)')
echo "host torch $torch_version ($cuda_flavor) in $torch_lib"
export PYTORCH_LIBRARY_PATH="$torch_lib" PYTORCH_VERSION="$torch_version" PYTORCH_FLAVOR="$cuda_flavor"
export DJL_CACHE_DIR="$work/djl-cache"

if [[ "$torch_version" != "2.7.1" ]]; then
  # DJL looks for <cache>/pytorch/<version>-<flavor>-<classifier>/<djl version>-libdjl_torch.so before anything else.
  jni="$DJL_CACHE_DIR/pytorch/$torch_version-$cuda_flavor-linux-x86_64/0.35.1-libdjl_torch.so"
  if [[ ! -f "$jni" ]]; then
    native="$work/djl/engines/pytorch/pytorch-native"
    [[ -d "$native" ]] || { echo "torch $torch_version needs DJL's JNI built for it: make the bundle with --djl-source" >&2; exit 2; }
    command -v cmake >/dev/null && command -v g++ >/dev/null || { echo "building DJL's JNI needs cmake and g++" >&2; exit 2; }
    # DJL's CMakeLists finds JNI through JAVA_HOME: the bundle carries the JDK's include/ beside the JRE.
    mkdir -p "$work/jre/include" && cp -r "$work/jni-include/." "$work/jre/include/"
    JAVA_HOME="$work/jre" cmake -S "$native" -B "$work/jni-build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$cmake_prefix"
    cmake --build "$work/jni-build" -j "$(nproc)"
    mkdir -p "$(dirname "$jni")"
    cp "$(find "$work/jni-build" -name libdjl_torch.so | head -n 1)" "$jni"
  fi
fi

"$py" -c 'import transformers' 2>/dev/null || "$py" -m pip install --no-index "$bundle"/wheels/*.whl

classpath="$work/lib/*"
"$py" "$root/tools/bench/side_by_side.py" --device cuda --hf-dtype float16 --save-dtype float16 \
  --engine-types float16 --batches 1,8,32 --repeats 2 --model-dir "$work/llava-7b-random" \
  --text-hidden 4096 --text-intermediate 11008 --text-layers 32 --text-heads 32 \
  --vision-image 336 --vision-hidden 1024 --vision-intermediate 4096 --vision-layers 24 --vision-heads 16 \
  --java-opts "-Xmx16g" --engine-command "$work/jre/bin/java -Xmx16g -cp '$classpath' io.kaption.engine.bench.EngineBenchmark" \
  "$@"
