// The kit's step-1 backward pass of the tiny reference, stage by stage: the gradient of the loss w.r.t. the
// input and the output of every Linear (dX, dY), written as float32 safetensors ("<module>.in" / ".out") with
// the parameter gradients, for bench/python/grad_stages.py to compare with PyTorch's (float32 and float64, same
// hooks) (issue 17). Each Linear's input and output get a zero variable added (x + 0 is x, and the Add's
// gradient passes dy through unchanged), so the pass computes the same bits as bench/step1-grads.ts: checked
// by grad_stages.py against that file. Run: `npx tsx bench/step1-intermediates.ts <out.safetensors>`.
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice, wasmGemmLabel } from "../src/backend";
import { AutoModelForSequenceClassification } from "../src/models/auto";
import { referenceBatch } from "../test/helpers/reference-batch";
import { TINY_CHECKPOINT } from "../test/helpers/shared";
import { Linear, noGrad } from "../src/nn";
import { installWasmKernels } from "../src/backend";
import { writeSafetensors, type HostTensor } from "../src/utils/safetensors";


async function main(): Promise<void> {
  const [out] = process.argv.slice(2);
  if (!out) throw new Error("usage: npx tsx bench/step1-intermediates.ts <out.safetensors>");
  const device = await selectDevice({ quiet: true });
  const batch = referenceBatch();
  const model = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, { logger: () => {}, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });
  model.train();
  const probes = new Map<string, tf.Variable>();
  const probe = (name: string, x: tf.Tensor): tf.Tensor => {
    let p = probes.get(name);
    if (!p) {
      p = tf.variable(tf.zerosLike(x), true, `probe:${name}`);
      probes.set(name, p);
    }
    return tf.add(x, p);
  };
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof Linear)) continue;
    const forward = m.forward.bind(m);
    m.forward = (x: tf.Tensor): tf.Tensor => probe(`${name}.out`, forward(probe(`${name}.in`, x)));
  }
  noGrad(() => model.forward(batch).loss!.dispose()); // creates the probes with their shapes
  installWasmKernels();
  const params = model.namedParameters();
  const vars = [...params.map(([, p]) => p.variable), ...probes.values()];
  const { value, grads } = tf.variableGrads(() => model.forward(batch).loss! as tf.Scalar, vars);
  const tensors = new Map<string, HostTensor>();
  const host = (t: tf.Tensor): HostTensor => ({ dtype: "F32", shape: [...t.shape], data: t.dataSync().slice() as Float32Array });
  for (const [n, p] of params) tensors.set(n, host(grads[p.variable.name]!));
  for (const [n, p] of probes) tensors.set(n, host(grads[p.name]!));
  const label = `${device.name}${device.name === "wasm" ? ` (${wasmGemmLabel()})` : ""}`;
  await writeSafetensors(out, tensors, { loss: String(value.dataSync()[0]), backend: label });
  console.error(`${label}: loss ${value.dataSync()[0]}, ${probes.size} probes, wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
