// torch.optim.lr_scheduler.LambdaLR (PyTorch 1.13): lr = base_lr * lambda(lastEpoch) for every group.
// Creating it performs one step (lastEpoch -1 -> 0), so the optimizer's lr is lambda(0) * base_lr
// before the first optimizer.step(), exactly as in PyTorch.

/** What a scheduler needs from an optimizer (AdamW, LegacyAdamW, or a wrapper such as Accelerate's). */
export interface SchedulableOptimizer {
  paramGroups: Array<{ lr: number; initialLr?: number }>;
  defaults: { lr: number };
}

export type LrLambda = (step: number) => number;

export interface LambdaLRStateDict {
  baseLrs: number[];
  lastEpoch: number;
  stepCount: number;
  lastLr: number[];
}

export class LambdaLR {
  baseLrs: number[];
  lastEpoch: number;
  private stepCount = 0;
  private lastLr: number[] = [];
  private readonly lrLambdas: LrLambda[];

  constructor(
    readonly optimizer: SchedulableOptimizer,
    lrLambda: LrLambda | LrLambda[],
    lastEpoch = -1,
  ) {
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(
            `LambdaLR: paramGroups[${i}].initialLr is not set while resuming at lastEpoch ${lastEpoch}; ` +
              `load the optimizer's state dict first (it carries initialLr) or start with lastEpoch -1.`,
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== groups.length) {
        throw new Error(`LambdaLR: expected ${groups.length} lr lambdas (one per parameter group), got ${lrLambda.length}.`);
      }
      this.lrLambdas = [...lrLambda];
    } else {
      this.lrLambdas = groups.map(() => lrLambda);
    }
    this.step();
  }

  /** The learning rates for the current lastEpoch. */
  getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i]!(this.lastEpoch));
  }

  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates the last step() set (torch's get_last_lr()). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): LambdaLRStateDict {
    return { baseLrs: [...this.baseLrs], lastEpoch: this.lastEpoch, stepCount: this.stepCount, lastLr: [...this.lastLr] };
  }

  /** Like torch, restores the counters only; the optimizer's lr comes back with the optimizer's state dict. */
  loadStateDict(dict: LambdaLRStateDict): void {
    if (dict.baseLrs.length !== this.baseLrs.length) {
      throw new Error(
        `LambdaLR.loadStateDict: the state dict has ${dict.baseLrs.length} base learning rates, this optimizer has ` +
          `${this.baseLrs.length} parameter groups.`,
      );
    }
    if (!Number.isInteger(dict.lastEpoch) || dict.lastEpoch < -1) {
      throw new Error(`LambdaLR.loadStateDict: lastEpoch is ${dict.lastEpoch}; expected an integer >= -1.`);
    }
    this.baseLrs = [...dict.baseLrs];
    this.lastEpoch = dict.lastEpoch;
    this.stepCount = dict.stepCount;
    this.lastLr = [...dict.lastLr];
  }
}
