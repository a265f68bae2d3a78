// The kit's step-1 gradients of the tiny reference (tiny-v128-h32: train mode, dropout 0, the reference batch,
// loss.backward()), every parameter, written as float32 safetensors for bench/python/grad_error.py to compare
// with float64 and with PyTorch's float32 runs on the same BLAS kernel (issue 17). The backend is the selected
// one (KIT_BACKEND; KIT_GEMM / OPENBLAS_CORETYPE choose the GEMM as everywhere).
// Run: `npx tsx bench/step1-grads.ts <out.safetensors> [checkpoint-dir, default the reference's] [--js K,...]`
// (another checkpoint: bench/python/permuted_runs.py's, the same function with its hidden units permuted; --js:
// these native kernels off, TF.js's ops instead: gelu, layer-norm, layer-norm-grad, softmax, sum-rows).
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice, wasmGemmLabel } from "../src/backend";
import { AutoModelForSequenceClassification } from "../src/models/auto";
import { referenceBatch } from "../test/helpers/reference-batch";
import { TINY_CHECKPOINT } from "../test/helpers/shared";
import { backward } from "../src/nn";
import { KIT_GELU, KIT_GELU_GRAD, KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD, KIT_SOFTMAX, KIT_SOFTMAX_GRAD, KIT_SUM_ROWS } from "../src/backend/kernel-names";
import { writeSafetensors, type HostTensor } from "../src/utils/safetensors";


const KERNELS: Record<string, string[]> = {
  gelu: [KIT_GELU, KIT_GELU_GRAD],
  "layer-norm": [KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD],
  // The native forward with TF.js's ops for the backward (src/nn/functional.ts falls back per direction).
  "layer-norm-grad": [KIT_LAYER_NORM_GRAD],
  softmax: [KIT_SOFTMAX, KIT_SOFTMAX_GRAD],
  "sum-rows": [KIT_SUM_ROWS],
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf("--js");
  const js = at < 0 ? [] : (argv.splice(at, 2)[1] ?? "").split(",");
  const [out, checkpoint = TINY_CHECKPOINT] = argv;
  if (!out) throw new Error("usage: npx tsx bench/step1-grads.ts <out.safetensors> [checkpoint-dir] [--js gelu,layer-norm,softmax,sum-rows]");
  const device = await selectDevice({ quiet: true });
  for (const k of js) {
    const names = KERNELS[k];
    if (!names) throw new Error(`--js: expected a list of ${Object.keys(KERNELS).join(", ")}; got "${k}"`);
    for (const name of names) if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  }
  const batch = referenceBatch();
  const model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { logger: () => {}, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });
  model.train();
  const loss = backward(() => model.forward(batch).loss!, model.parameters());
  const tensors = new Map<string, HostTensor>();
  for (const [n, p] of model.namedParameters()) tensors.set(n, { dtype: "F32", shape: [...p.grad!.shape], data: p.grad!.dataSync().slice() as Float32Array });
  const label = `${device.name}${device.name === "wasm" ? ` (${wasmGemmLabel()})` : ""}${js.length ? `, TF.js ops for ${js.join(", ")}` : ""}`;
  await writeSafetensors(out, tensors, { loss: String(loss), backend: label });
  console.error(`${label}: loss ${loss}, wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
