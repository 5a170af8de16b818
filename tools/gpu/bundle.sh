#!/usr/bin/env bash
# Packs what a GPU host without Java needs to run the engine benchmark next to transformers (issue 13, item 4):
# a jlink'ed JRE, the engine's jars WITHOUT the CPU natives (DJL is pointed at the host's own libtorch instead),
# the JNI headers (to build DJL's JNI glue against the host's torch when it is not 2.7.1), and optionally the
# Python wheels transformers 4.57.6 needs. The result must stay under the device tool's 64 MiB carry limit.
#
#   mvn -DskipTests -pl llava-engine -am package
#   tools/gpu/bundle.sh [--wheels DIR] [--djl-source DIR] [OUT (default .gpu-bundle)]
#
# --wheels DIR       copies DIR/*.whl (e.g. transformers-4.57.6, tokenizers-0.22.2, safetensors, a
#                    huggingface_hub 0.36.2 wheel built from its source tag) for a host that lacks them
# --djl-source DIR   a checkout of DJL v0.35.1 (github.com/deepjavalibrary/djl, tag v0.35.1): its JNI sources
#                    (engines/pytorch/pytorch-native, api/src/main/native) and the JNI header javac generates from
#                    PyTorchLibrary.java (the GPU host has no javac) go into the bundle for run.sh to build
#
# Then, on the GPU host (repository root, OUT carried along): tools/gpu/run.sh OUT
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
wheels="" djl_source="" out="$root/.gpu-bundle"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wheels) wheels="$2"; shift 2 ;;
    --djl-source) djl_source="$2"; shift 2 ;;
    *) out="$1"; shift ;;
  esac
done

engine_jar="$(ls "$root"/llava-engine/target/llava-engine-*.jar | grep -v -- '-sources\|-tests' | head -n 1)"
[[ -f "$engine_jar" && -d "$root/llava-engine/target/lib" ]] || { echo "build llava-engine first" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/lib"
# The modules the engine benchmark and its libraries use (without java.desktop: the benchmark decodes no images);
# no class-data-sharing archive (13 MB).
jlink --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
rm -f "$out"/jre/lib/server/classes*.jsa
cp "$engine_jar" "$out/lib/"
# No CPU natives: the host's libtorch is used. The tokenizers jar (18 MB of natives) is not needed by the benchmark.
find "$root/llava-engine/target/lib" -name '*.jar' ! -name 'pytorch-native-*' ! -name 'tokenizers-*' \
  -exec cp {} "$out/lib/" \;
cp -r "${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}/include" "$out/jni-include"
if [[ -n "$djl_source" ]]; then
  native="$out/djl/engines/pytorch/pytorch-native"
  mkdir -p "$native/build/include" "$out/djl/api/src/main" "$out/djl-classes"
  cp -r "$djl_source/engines/pytorch/pytorch-native/CMakeLists.txt" "$djl_source/engines/pytorch/pytorch-native/src" "$native/"
  cp -r "$djl_source/api/src/main/native" "$out/djl/api/src/main/"
  javac -cp "$root/llava-engine/target/lib/*" -sourcepath "$djl_source/engines/pytorch/pytorch-engine/src/main/java" \
    -h "$native/build/include" -d "$out/djl-classes" \
    "$djl_source/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
  rm -rf "$out/djl-classes"
fi
# One xz archive: libjvm.so and the JNI sources shrink to a third.
(cd "$out" && tar -cJf kaption-gpu.tar.xz --remove-files jre lib jni-include $( [[ -n "$djl_source" ]] && echo djl))
[[ -n "$wheels" ]] && { mkdir -p "$out/wheels"; cp "$wheels"/*.whl "$out/wheels/"; }
du -sh "$out"
size_mb=$(du -sm "$out" | cut -f1)
if (( size_mb >= 64 )); then
  echo "bundle is ${size_mb} MiB, over the 64 MiB a device call carries" >&2
  exit 1
fi
