// TrainingRun: what the course's loop needs around it, kept out of the loop's lines. The loop calls
//   trainingRun.checkLoss(loss)        after backward: a NaN or infinite loss stops before it reaches the weights
//   await trainingRun.stepDone(loss)   after the update: records loss and lr, checkpoints every --save-steps,
//                                      and answers true once the planned steps are done
// and everything else happens here: the per-step record, Ctrl-C / SIGTERM (the handler only raises a flag;
// the checkpoint is written at the end of the step, when weights, optimizer and loader agree), and the
// checkpoint of the last completed step when an error escapes the loop (failed()).
import type { DataLoaderState } from "../data";
import type { BertForSequenceClassification } from "../models/bert";
import type { LambdaLR, Optimizer } from "../optim";
import type { GeneratorState } from "../utils/random";
import { saveCheckpoint } from "./checkpoint";
import type { Hyperparameters } from "./presets";
import { newRunRecord } from "./record-init";
import type { RunRecord } from "./run-record";

export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly checkpoint: string | null,
  ) {
    super(
      `Training stopped: the loss of step ${step} is ${loss}. The weights were not updated with it` +
        (checkpoint ? `; the last good step (${step - 1}) is saved in ${checkpoint}.` : ".") +
        " Lower the learning rate (--lr) or check the data of that batch.",
    );
    this.name = "NonFiniteLossError";
  }
}

export class TrainingInterruptedError extends Error {
  constructor(
    readonly signal: string,
    readonly step: number,
    readonly checkpoint: string | null,
    readonly runDir: string | null,
  ) {
    super(
      `Training interrupted by ${signal} after step ${step}.` +
        (checkpoint ? ` Checkpoint: ${checkpoint}. Continue with: npx kit train --resume ${runDir}` : " No output folder, so nothing was saved."),
    );
    this.name = "TrainingInterruptedError";
  }
}

/** Where the loop stands, with what a checkpoint needs from the objects it does not own. */
type Tracked = {
  model: BertForSequenceClassification;
  optimizer: Optimizer;
  lrScheduler: LambdaLR;
  trainDataloader: { state(): DataLoaderState; readonly epoch: number };
};

export type TrainingRunOptions = Tracked & {
  record: RunRecord;
  numTrainingSteps: number;
  /** Folder of the run; null: nothing is saved (a chapter run on its own). */
  runDir: string | null;
  /** Also checkpoint every N completed steps. */
  saveSteps?: number;
  /** Completed steps so far (a resumed run). */
  startStep?: number;
  /** Install SIGINT / SIGTERM handlers for the duration of the run (the CLI does; tests may not). */
  handleSignals?: boolean;
  /** Called after each completed step (tests use it to interrupt a run at a chosen step). */
  onStepEnd?: (step: number, run: TrainingRun) => void;
};

export class TrainingRun {
  readonly record: RunRecord;
  readonly numTrainingSteps: number;
  readonly runDir: string | null;
  /** Completed steps. */
  step: number;
  /** The epoch the loop starts in: 0, or where a resumed run stopped. */
  readonly startEpoch: number;
  private readonly tracked: Tracked;
  private readonly saveSteps: number;
  private readonly onStepEnd?: (step: number, run: TrainingRun) => void;
  /** The state of the last completed step (the loader and the generator move on before a step completes). */
  private position: DataLoaderState;
  private generatorState: GeneratorState;
  /** "update": between checkLoss and stepDone, when the weights may be half-updated. */
  private phase: "forward" | "update" = "forward";
  private nextLr: number;
  private stopSignal: string | null = null;
  private stopRequestedAt = 0;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private lastCheckpoint: string | null = null;

  constructor(options: TrainingRunOptions) {
    this.record = options.record;
    this.numTrainingSteps = options.numTrainingSteps;
    this.runDir = options.runDir;
    this.saveSteps = options.saveSteps ?? 0;
    this.onStepEnd = options.onStepEnd;
    this.tracked = {
      model: options.model,
      optimizer: options.optimizer,
      lrScheduler: options.lrScheduler,
      trainDataloader: options.trainDataloader,
    };
    this.step = options.startStep ?? 0;
    this.startEpoch = options.trainDataloader.epoch;
    this.position = options.trainDataloader.state();
    this.generatorState = options.model.generator.getState();
    this.nextLr = options.optimizer.paramGroups[0]!.lr;
    if (options.handleSignals) {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const handler = (): void => this.requestStop(signal);
        this.signalHandlers.set(signal, handler);
        process.on(signal, handler);
      }
    }
  }

  /** True once every planned step is done. */
  get finished(): boolean {
    return this.step >= this.numTrainingSteps;
  }

  /** Ask the loop to stop at the end of the current step, with a checkpoint (what Ctrl-C does). */
  requestStop(signal = "a stop request"): void {
    // bin/kit.mjs forwards the signal its child also got from the terminal: one Ctrl-C may arrive twice.
    if (this.stopSignal !== null && performance.now() - this.stopRequestedAt < 1000) return;
    if (this.stopSignal !== null) {
      // A second Ctrl-C while the checkpoint is written: leave at once, as Python's KeyboardInterrupt would.
      process.stderr.write(`\n${signal} again: exiting without waiting for the checkpoint.\n`);
      process.exit(130);
    }
    this.stopSignal = signal;
    this.stopRequestedAt = performance.now();
  }

  /** After backward: a NaN or infinite loss must not reach the weights. */
  checkLoss(loss: number): void {
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(this.step + 1, loss, null);
    this.phase = "update";
  }

  /** After optimizer.step(), lrScheduler.step(), optimizer.zeroGrad(). True when the run is complete. */
  async stepDone(loss: number): Promise<boolean> {
    this.step += 1;
    this.record.steps.loss.push(loss);
    this.record.steps.lr.push(this.nextLr);
    this.nextLr = this.tracked.optimizer.paramGroups[0]!.lr;
    this.position = this.tracked.trainDataloader.state();
    this.generatorState = this.tracked.model.generator.getState();
    this.phase = "forward";
    this.onStepEnd?.(this.step, this);
    // The last step is saved too: evaluation and saving the model come next, and a failure or a kill
    // there must not cost the training (--resume then only evaluates and saves).
    const saved = this.finished || (this.saveSteps > 0 && this.step % this.saveSteps === 0) ? await this.checkpoint() : null;
    // Let a pending SIGINT / SIGTERM handler run: the steps themselves never yield to the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.stopSignal !== null) {
      const path = saved ?? (await this.checkpoint());
      this.record.status = "interrupted";
      throw new TrainingInterruptedError(this.stopSignal, this.step, path, this.runDir);
    }
    return this.finished;
  }

  /** Write a checkpoint of the last completed step (null when the run has no folder). */
  async checkpoint(): Promise<string | null> {
    if (this.runDir === null) return null;
    const { model, optimizer, lrScheduler } = this.tracked;
    this.lastCheckpoint = await saveCheckpoint(this.runDir, {
      model,
      optimizer,
      lrScheduler,
      dataloader: this.position,
      generator: this.generatorState,
      step: this.step,
      numTrainingSteps: this.numTrainingSteps,
      record: this.record,
    });
    return this.lastCheckpoint;
  }

  /**
   * An error escaped the loop: checkpoint the last completed step when the weights are still those of that
   * step (the error came before the update began), and return the error to throw, naming the checkpoint.
   */
  async failed(err: unknown): Promise<unknown> {
    if (err instanceof TrainingInterruptedError) return err;
    this.record.status = "failed";
    this.record.error = err instanceof Error ? err.message : String(err);
    let path: string | null = null;
    // A checkpoint that fails too (a full disk) must not hide the error that stopped the run.
    if (this.phase === "forward") path = await this.checkpoint().catch(() => null);
    if (err instanceof NonFiniteLossError) return new NonFiniteLossError(err.step, err.loss, path);
    if (err instanceof Error) {
      err.message +=
        path !== null
          ? `\n(Training failed during step ${this.step + 1}; step ${this.step} is saved in ${path}. Resume with npx kit train --resume ${this.runDir})`
          : this.runDir !== null && this.lastCheckpoint !== null
            ? `\n(Training failed while updating the weights of step ${this.step + 1}; the latest checkpoint is ${this.lastCheckpoint}.)`
            : "";
    }
    return err;
  }

  /** Remove the signal handlers. */
  close(): void {
    for (const [signal, handler] of this.signalHandlers) process.removeListener(signal, handler);
    this.signalHandlers.clear();
  }
}

/** A TrainingRun that saves nothing (a chapter run on its own); the CLI's has a run folder and signal handlers. */
export function unsavedRun(
  training: Tracked & { numTrainingSteps: number; trainDataloader: { readonly length: number } },
  hp: Hyperparameters,
  backend: string,
): TrainingRun {
  const record = newRunRecord({ id: "unsaved", hp, backend, numTrainingSteps: training.numTrainingSteps, batchesPerEpoch: training.trainDataloader.length });
  return new TrainingRun({ ...training, record, runDir: null });
}
