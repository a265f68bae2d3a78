// The learning-rate multipliers of transformers 4.31 (optimization.py), as functions of the step. Each
// keeps Python's operation order so the float64 results match to the last bit or nearly (cos may differ
// by an ulp between libms).

export function constantLambda(): LrLambdaFn {
  return () => 1;
}

export type LrLambdaFn = (currentStep: number) => number;

export function constantWithWarmupLambda(numWarmupSteps: number): LrLambdaFn {
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1.0, numWarmupSteps);
    return 1.0;
  };
}

export function linearWithWarmupLambda(numWarmupSteps: number, numTrainingSteps: number): LrLambdaFn {
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1, numWarmupSteps);
    return Math.max(0.0, (numTrainingSteps - currentStep) / Math.max(1, numTrainingSteps - numWarmupSteps));
  };
}

export function cosineWithWarmupLambda(numWarmupSteps: number, numTrainingSteps: number, numCycles = 0.5): LrLambdaFn {
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1, numWarmupSteps);
    const progress = (currentStep - numWarmupSteps) / Math.max(1, numTrainingSteps - numWarmupSteps);
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
  };
}

export function cosineWithHardRestartsLambda(numWarmupSteps: number, numTrainingSteps: number, numCycles = 1): LrLambdaFn {
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1, numWarmupSteps);
    const progress = (currentStep - numWarmupSteps) / Math.max(1, numTrainingSteps - numWarmupSteps);
    if (progress >= 1.0) return 0.0;
    // Python's % and JS's agree for the non-negative operands that occur here.
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((numCycles * progress) % 1.0))));
  };
}

export function polynomialDecayLambda(
  numWarmupSteps: number,
  numTrainingSteps: number,
  lrInit: number,
  lrEnd = 1e-7,
  power = 1.0,
): LrLambdaFn {
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1, numWarmupSteps);
    if (currentStep > numTrainingSteps) return lrEnd / lrInit; // LambdaLR multiplies by lr_init
    const lrRange = lrInit - lrEnd;
    const decaySteps = numTrainingSteps - numWarmupSteps;
    const pctRemaining = 1 - (currentStep - numWarmupSteps) / decaySteps;
    const decay = lrRange * pctRemaining ** power + lrEnd;
    return decay / lrInit;
  };
}

export function inverseSqrtLambda(numWarmupSteps: number, timescale?: number): LrLambdaFn {
  // transformers: `timescale = num_warmup_steps or 10_000`.
  const ts = timescale ?? (numWarmupSteps || 10_000);
  return (currentStep) => {
    if (currentStep < numWarmupSteps) return currentStep / Math.max(1, numWarmupSteps);
    const shift = ts - numWarmupSteps;
    return 1.0 / Math.sqrt((currentStep + shift) / ts);
  };
}
