#!/usr/bin/env bash
# Runs on the GPU machine from bench/gpu/bundle.sh's bundle; writes its results to $OUT (default ./out):
# env.txt (GPU, driver, loaders), train.json (the tiny parity fixtures on webgpu, compared here later by
# test/backend/webgpu.test.ts with KIT_WEBGPU_TRAIN_JSON), steps-webgpu.json (100 steps), steps-torch-*.json.
set -u
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$B/out}
mkdir -p "$OUT"
# Only where the loaders are missing: unpacking over a system that has them could replace newer ones.
if ! { ldconfig -p | grep -q "libvulkan.so.1 " && ldconfig -p | grep -q "libEGL.so.1 "; }; then for f in "$B"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
tar -C "$B" -xJf "$B/payload.tar.xz"
export PATH="$B/bin:$PATH" KIT_SHARED_DIR="$B/shared" KIT_BACKEND=webgpu
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f $icd ] && [ -z "${VK_DRIVER_FILES:-}" ] && export VK_DRIVER_FILES=$icd
[ -f $egl ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
{
  date -u; uname -a; node --version; nproc
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  ldconfig -p | grep -E 'libvulkan|libEGL' ; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.is_available())'
} >"$OUT/env.txt" 2>&1
cd "$B"
step() { # name, timeout, command...
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"
  echo "$name: exit $? in $((SECONDS - t0)) s" | tee -a "$OUT/env.txt"
}
step steps-webgpu 150 node js/steps.mjs --steps 100 --warmup 3
step train 200 node js/webgpu-train.mjs $(cat fixtures.txt)
step steps-torch-cuda 150 python3 pytorch_steps.py --steps 100 --warmup 3 --device cuda
tail -n 3 "$OUT"/*.err >>"$OUT/env.txt" 2>/dev/null
cat "$OUT/env.txt"
