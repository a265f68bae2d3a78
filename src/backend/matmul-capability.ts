// What the current backend's matrix product does well, asked by nn/ so that it stays backend-neutral.

let transposedFast: () => boolean = () => false;

/**
 * Whether matMul's transpose flags cost nothing on the current backend (a BLAS reads either layout at full
 * speed). Where they do not (XNNPACK on wasm: 1–4 GFLOP/s with a flag versus ~40 without), the dense
 * gradients transpose explicitly instead.
 */
export function fastTransposedMatMul(): boolean {
  return transposedFast();
}

/** For src/backend only: say how to answer fastTransposedMatMul(). */
export function setFastTransposedMatMul(answer: () => boolean): void {
  transposedFast = answer;
}
