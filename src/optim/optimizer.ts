// What AdamW and the legacy AdamW share, shaped like torch.optim.Optimizer: parameter groups whose `lr`
// a scheduler rewrites, per-parameter state (step count and the two moments), zeroGrad, and a state dict
// that a checkpoint can hold. Subclasses only say how one parameter is updated.
import * as tf from "@tensorflow/tfjs-core";
import type { Parameter } from "../nn/parameter";

/** A tensor's values on the host, exact (float32), so a checkpoint restores it bit for bit. */
export interface HostTensorData {
  dtype: "float32";
  shape: number[];
  data: Float32Array;
}

/** Hyper-parameters of one group, as torch keeps them in `param_groups` (camelCase). */
export interface AdamHyperParams {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export interface ParamGroup extends AdamHyperParams {
  params: Parameter[];
  /** Set by the first scheduler attached, as torch's LambdaLR sets `initial_lr`. */
  initialLr?: number;
  /** Only the legacy optimizer reads it. */
  correctBias?: boolean;
}

/** A group given to the constructor: its own params and any hyper-parameter overriding the defaults. */
export interface ParamGroupSpec extends Partial<AdamHyperParams> {
  params: Parameter[];
  correctBias?: boolean;
}

/** Per-parameter state: tensors live in non-trainable variables so each step assigns in place. */
export interface AdamParamState {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

export interface OptimizerStateDict {
  /** Which optimizer wrote it ("adamw_torch" | "adamw_legacy"). */
  kind: string;
  /** Keyed by the parameter's index over all groups, as torch numbers them. */
  state: Record<number, { step: number; expAvg: HostTensorData; expAvgSq: HostTensorData }>;
  paramGroups: Array<AdamHyperParams & { params: number[]; initialLr?: number; correctBias?: boolean }>;
  /** Parameter names in index order, to catch a state dict loaded into another model. */
  paramNames: string[];
}

export type OptimizerParams = Parameter[] | ParamGroupSpec[];

function isGroupSpecs(params: OptimizerParams): params is ParamGroupSpec[] {
  return params.length > 0 && !(params[0] as object as { variable?: unknown }).variable;
}

export abstract class Optimizer {
  readonly paramGroups: ParamGroup[];
  /** The constructor's options after defaults, like torch's `optimizer.defaults`. */
  readonly defaults: AdamHyperParams & { correctBias?: boolean };
  protected readonly state = new Map<Parameter, AdamParamState>();
  private disposed = false;

  protected constructor(
    readonly kind: string,
    params: OptimizerParams,
    defaults: AdamHyperParams & { correctBias?: boolean },
  ) {
    validateHyperParams(kind, defaults);
    this.defaults = defaults;
    const specs: ParamGroupSpec[] = isGroupSpecs(params) ? params : [{ params: params as Parameter[] }];
    if (specs.length === 0 || specs.every((s) => s.params.length === 0)) {
      throw new Error(`${kind}: got an empty parameter list; pass model.parameters() (or groups with params).`);
    }
    const seen = new Set<Parameter>();
    this.paramGroups = specs.map((spec, gi) => {
      for (const p of spec.params) {
        if (seen.has(p)) {
          throw new Error(`${kind}: parameter "${p.name}" appears twice (group ${gi}); give each parameter once.`);
        }
        seen.add(p);
      }
      const group: ParamGroup = { ...defaults, ...stripUndefined(spec), params: [...spec.params] };
      validateHyperParams(`${kind} group ${gi}`, group);
      return group;
    });
  }

  /** Update every parameter that has a gradient (others, and requiresGrad=false ones, are skipped). */
  step(): void {
    this.assertAlive();
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null || !p.requiresGrad) continue;
        if (p.grad.shape.join() !== p.shape.join()) {
          throw new Error(
            `${this.kind}.step: gradient of "${p.name}" has shape [${p.grad.shape}] but the parameter is [${p.shape}]; ` +
              `the gradient must match the parameter.`,
          );
        }
        const state = this.stateOf(p);
        state.step += 1;
        this.updateParameter(p, p.grad, state, group);
      }
    }
  }

  /** Update one parameter in place (variable.assign) and its moments; called inside no outer tidy. */
  protected abstract updateParameter(p: Parameter, grad: tf.Tensor, state: AdamParamState, group: ParamGroup): void;

  /** Drop every gradient (torch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.zeroGrad();
  }

  /** All parameters in index order (torch numbers state entries this way). */
  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  private stateOf(p: Parameter): AdamParamState {
    let s = this.state.get(p);
    if (!s) {
      // The variable shares the zeros' data; tidy drops the scratch handle.
      const zeros = (): tf.Variable => tf.tidy(() => tf.variable(tf.zeros(p.shape, "float32"), false, undefined, "float32"));
      s = { step: 0, expAvg: zeros(), expAvgSq: zeros() };
      this.state.set(p, s);
    }
    return s;
  }

  stateDict(): OptimizerStateDict {
    this.assertAlive();
    const params = this.allParams();
    const state: OptimizerStateDict["state"] = {};
    params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      state[i] = { step: s.step, expAvg: toHost(s.expAvg), expAvgSq: toHost(s.expAvgSq) };
    });
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params: gp, ...hyper } = g;
      const ids = gp.map(() => index++);
      return { ...hyper, betas: [...g.betas] as [number, number], params: ids };
    });
    return { kind: this.kind, state, paramGroups, paramNames: params.map((p) => p.name) };
  }

  /** Restore what stateDict() returned (copies the data; the dict can be discarded afterwards). */
  loadStateDict(dict: OptimizerStateDict): void {
    this.assertAlive();
    const where = `${this.kind}.loadStateDict`;
    if (dict.kind !== this.kind) {
      throw new Error(`${where}: the state dict was written by "${dict.kind}", this optimizer is "${this.kind}"; load it into the same kind.`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state dict has ${dict.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}.`);
    }
    dict.paramGroups.forEach((g, gi) => {
      if (g.params.length !== this.paramGroups[gi]!.params.length) {
        throw new Error(
          `${where}: group ${gi} has ${g.params.length} parameters in the state dict but ${this.paramGroups[gi]!.params.length} here; ` +
            `build the optimizer over the same parameters.`,
        );
      }
    });
    const params = this.allParams();
    // Validate everything before touching any state, so a bad dict leaves the optimizer unchanged.
    for (const [key, entry] of Object.entries(dict.state)) {
      const i = Number(key);
      const p = params[i];
      if (!p) throw new Error(`${where}: state entry ${key} has no parameter (this optimizer has ${params.length}).`);
      const name = dict.paramNames[i];
      if (name !== undefined && name !== p.name) {
        throw new Error(`${where}: entry ${i} belongs to "${name}" in the state dict but to "${p.name}" here; the parameter order differs.`);
      }
      for (const [label, t] of [["expAvg", entry.expAvg], ["expAvgSq", entry.expAvgSq]] as const) {
        const size = t.shape.reduce((a, b) => a * b, 1);
        if (t.shape.join() !== p.shape.join() || t.data.length !== size) {
          throw new Error(
            `${where}: ${label} of "${p.name}" has shape [${t.shape}] (${t.data.length} values) but the parameter is [${p.shape}].`,
          );
        }
      }
      if (!Number.isInteger(entry.step) || entry.step < 0) {
        throw new Error(`${where}: step of "${p.name}" is ${entry.step}; expected a non-negative integer.`);
      }
    }
    this.disposeState();
    for (const [key, entry] of Object.entries(dict.state)) {
      const p = params[Number(key)]!;
      this.state.set(p, {
        step: entry.step,
        expAvg: fromHost(entry.expAvg),
        expAvgSq: fromHost(entry.expAvgSq),
      });
    }
    dict.paramGroups.forEach((g, gi) => {
      const group = this.paramGroups[gi]!;
      group.lr = g.lr;
      group.betas = [g.betas[0], g.betas[1]];
      group.eps = g.eps;
      group.weightDecay = g.weightDecay;
      if (g.initialLr !== undefined) group.initialLr = g.initialLr;
      if (g.correctBias !== undefined) group.correctBias = g.correctBias;
    });
  }

  /** Free the moment tensors (parameters and their gradients belong to the model). */
  dispose(): void {
    this.disposeState();
    this.disposed = true;
  }

  private disposeState(): void {
    for (const s of this.state.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.state.clear();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.kind}: this optimizer was disposed; create a new one.`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateHyperParams(where: string, h: AdamHyperParams): void {
  // torch.optim.AdamW's checks, with the offending value named.
  if (!(h.lr >= 0)) throw new Error(`${where}: invalid learning rate ${h.lr}; expected lr >= 0.`);
  if (!(h.eps >= 0)) throw new Error(`${where}: invalid epsilon ${h.eps}; expected eps >= 0.`);
  if (!(h.betas[0] >= 0 && h.betas[0] < 1)) throw new Error(`${where}: invalid beta at index 0: ${h.betas[0]}; expected 0 <= beta < 1.`);
  if (!(h.betas[1] >= 0 && h.betas[1] < 1)) throw new Error(`${where}: invalid beta at index 1: ${h.betas[1]}; expected 0 <= beta < 1.`);
  if (!(h.weightDecay >= 0)) throw new Error(`${where}: invalid weightDecay ${h.weightDecay}; expected weightDecay >= 0.`);
}

function toHost(v: tf.Tensor): HostTensorData {
  return { dtype: "float32", shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
}

function fromHost(t: HostTensorData): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(t.data), t.shape, "float32"), false, undefined, "float32"));
}
