#!/usr/bin/env bash
# Issue 17 item 4: a self-contained bundle for a GPU machine that has no ../shared, no node_modules and maybe
# no Node: the kit's two GPU programs bundled by esbuild (tiny parity: test/backend/fixtures/webgpu-train.ts;
# 100 timed steps: bench/gpu/steps.ts), Node itself, Dawn's Linux x64 binary (not the package's other
# platforms: 132 MB in all), the tiny reference's inputs, Debian's Vulkan/EGL loaders, PyTorch's side
# (pytorch_steps.py) and run.sh, which runs it all there and writes JSON to $OUT.
# Usage: bash bench/gpu/bundle.sh DEST   (then carry DEST and run `bash DEST/run.sh`). At most 64 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:?usage: bash bench/gpu/bundle.sh DEST}
SHARED=${KIT_SHARED_DIR:-$ROOT/../shared}
DAWN=$ROOT/node_modules/webgpu
[ -f "$DAWN/dist/linux-x64/dawn.node" ] || { echo "bundle.sh: $DAWN/dist/linux-x64/dawn.node missing: run \`npm install --no-save webgpu@0.6.2\` first" >&2; exit 1; }
[ -f "$SHARED/reference/tiny-v128-h32/reference.json" ] || { echo "bundle.sh: $SHARED/reference missing (set KIT_SHARED_DIR)" >&2; exit 1; }

rm -rf "$DEST" && mkdir -p "$DEST/js" "$DEST/debs"
STAGE=$(mktemp -d) && trap 'rm -rf "$STAGE"' EXIT

# ESM bundles; `webgpu` stays external (it loads dawn.node beside itself); CommonJS deps need a require.
for entry in test/backend/fixtures/webgpu-train.ts bench/gpu/steps.ts; do
  "$ROOT/node_modules/.bin/esbuild" "$ROOT/$entry" --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --log-level=warning --outfile="$DEST/js/$(basename "$entry" .ts).mjs" \
    --banner:js="import { createRequire as kitCreateRequire } from 'node:module'; const require = kitCreateRequire(import.meta.url);"
done
cp "$ROOT/bench/gpu/pytorch_steps.py" "$ROOT/bench/gpu/run.sh" "$DEST/"
node -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).train).join(" "))' \
  "$SHARED/reference/tiny-v128-h32/reference.json" >"$DEST/fixtures.txt"

# What is large goes into one xz archive: node, dawn.node, the tiny reference's inputs.
mkdir -p "$STAGE/bin" "$STAGE/node_modules/webgpu/dist/linux-x64" "$STAGE/shared/reference/tiny-v128-h32"
cp "$(command -v node)" "$STAGE/bin/node"
cp "$DAWN/package.json" "$DAWN/index.js" "$STAGE/node_modules/webgpu/"
cp "$DAWN/dist/linux-x64/dawn.node" "$STAGE/node_modules/webgpu/dist/linux-x64/"
cp -r "$SHARED/reference/tiny-v128-h32/reference.json" "$SHARED/reference/tiny-v128-h32/checkpoint" "$STAGE/shared/reference/tiny-v128-h32/"
tar -C "$STAGE" -cf - . | xz -T0 -6 >"$DEST/payload.tar.xz"

# Vulkan and EGL loaders (the GPU machine may have only the driver): Debian's packages, unpacked there.
(cd "$DEST/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
du -sh "$DEST"
