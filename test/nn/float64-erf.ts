// A float64 erf/erfc written independently of src/nn, as the reference for the GELU tests:
// the positive series erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1)) below 3 and
// the Laplace continued fraction for erfc above (both converge to double precision there).
export function erfc64(x: number): number {
  if (x < 0) return 2 - erfc64(-x);
  if (x < 3) return 1 - erf64(x);
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated backwards.
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erf64(x: number): number {
  if (Math.abs(x) >= 3) return 1 - erfc64(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

export function gelu64(x: number): number {
  return 0.5 * x * erfc64(-x / Math.SQRT2);
}

export function geluGrad64(x: number): number {
  return 0.5 * erfc64(-x / Math.SQRT2) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}
