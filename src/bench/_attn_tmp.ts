import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../backend/device";
await useBackend("wasm");
const time = (f: () => tf.Tensor) => {
  for (let i = 0; i < 3; i++) tf.tidy(f).dispose();
  const n = 10, t0 = performance.now();
  for (let i = 0; i < n; i++) { const r = tf.tidy(f); r.dataSync(); r.dispose(); }
  return (performance.now() - t0) / n;
};
for (const [B, d] of [[16, 64], [64, 64]] as const) {
  const S = 65;
  const a = tf.randomNormal([B, S, d]), bT = tf.randomNormal([B, d, S]), b = tf.randomNormal([B, S, d]);
  const fl = 2 * B * S * S * d;
  const res: Record<string, number[]> = { NN: [], NT: [], TN: [], "NT+transposes": [] };
  for (let rep = 0; rep < 3; rep++) {
    res.NN!.push(time(() => tf.matMul(a, bT)));
    res.NT!.push(time(() => tf.matMul(a, b, false, true)));
    res.TN!.push(time(() => tf.matMul(bT, bT, true, false)));
    res["NT+transposes"]!.push(time(() => tf.matMul(tf.transpose(bT, [0, 2, 1]), tf.transpose(tf.transpose(b, [0, 2, 1]), [0, 2, 1]), false, true)));
  }
  for (const [k, v] of Object.entries(res)) { const m = Math.min(...v); console.log(`[${B},${S},${d}] ${k.padEnd(14)} ${m.toFixed(2)} ms ${(fl / m / 1e6).toFixed(2)} GFLOP/s`); }
}
