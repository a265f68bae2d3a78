// The library's training loop, in the spirit of minGPT's Trainer: the model, optimizer, schedule and
// training DataLoader in, one step per batch (forward and backward, optimizer step, schedule step, zero
// the gradients) until the planned steps are done. What a run adds around the loop — the run record, the
// NaN check, checkpoints, Ctrl-C — comes through one hook object (TrainingRun implements it), so the loop
// stays the course's. chapters/05-training-loop.ts has the same loop in the course's lines; a test proves
// the two bitwise equal.
import { disposeBatch, type Batch, type DataLoader, type FeatureRow } from "../data";
import type { BertForSequenceClassification } from "../models/bert";
import { backwardAsync } from "../nn";
import type { LambdaLR, Optimizer } from "../optim";
import { tqdm } from "../utils/progress";

export type TrainerParts = {
  model: BertForSequenceClassification;
  optimizer: Optimizer;
  lrScheduler: LambdaLR;
  trainDataloader: DataLoader<FeatureRow, Batch>;
  numTrainingSteps: number;
  numEpochs: number;
};

/** Where the kit's additions hook into the loop. */
export type TrainerHook = {
  /** The epoch to start in and the steps already done: 0, or where a resumed run stopped. */
  readonly startEpoch: number;
  readonly step: number;
  /** After backward, before the update: throws to keep a bad loss away from the weights. */
  checkLoss(loss: number): void;
  /** After the update and zeroGrad: true once the run is complete. */
  stepDone(loss: number): Promise<boolean>;
};

export class Trainer {
  constructor(
    private readonly parts: TrainerParts,
    private readonly hook: TrainerHook,
  ) {}

  async run(options: { quiet?: boolean } = {}): Promise<void> {
    const { model, optimizer, lrScheduler, trainDataloader, numTrainingSteps, numEpochs } = this.parts;
    const progressBar = tqdm(numTrainingSteps, { disable: options.quiet });
    progressBar.resume(this.hook.step); // a resumed run's steps count in the bar, not in its rate
    model.train();
    try {
      for (let epoch = this.hook.startEpoch; epoch < numEpochs; epoch++) {
        for (const batch of trainDataloader) {
          if (await this.step(batch, progressBar)) return;
        }
      }
    } finally {
      progressBar.close();
    }
  }

  /** One step; true when the run is complete. */
  private async step(batch: Batch, progressBar: ReturnType<typeof tqdm>): Promise<boolean> {
    const { model, optimizer, lrScheduler } = this.parts;
    const loss = await backwardAsync(() => model.forward(batch).loss!);
    disposeBatch(batch);
    this.hook.checkLoss(loss);
    optimizer.step();
    lrScheduler.step();
    optimizer.zeroGrad();
    progressBar.setPostfix({ loss });
    progressBar.update(1);
    return this.hook.stepDone(loss);
  }
}
