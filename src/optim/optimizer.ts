// What AdamW and the legacy AdamW share, shaped like torch.optim.Optimizer: parameter groups whose `lr`
// a scheduler rewrites, per-parameter state (step count and the two moments), zeroGrad, and a state dict
// that a checkpoint can hold. Subclasses only say how one parameter is updated.
import * as tf from "@tensorflow/tfjs-core";
import { Parameter } from "../nn/parameter";
import { heapView, readableOnHost, readFloatsInto, variableWriter } from "../backend";

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

/** Per-parameter state as updateParameter sees it: non-trainable variables, so each step assigns in place. */
export interface AdamParamState {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

/**
 * Where the moments live between steps. "backend": tensors on the TF.js backend. "host": Float32Arrays in JS
 * memory, uploaded for the parameter's update and read back after it. "auto" (default): "host" on wasm when
 * the moments would take at least MOMENTS_ON_HOST_BYTES, else "backend".
 *
 * Why: wasm's heap is capped at 4 GiB and the moments (2x the weights) are dead weight during the forward and
 * backward. BERT-Base's 836 MiB of moments on the heap make its SECOND step's backward run out of memory;
 * kept on the host they cost one copy in and one out per step (measured in bench/NOTES.md).
 */
export type MomentsPlacement = "auto" | "backend" | "host";

/** 512 MiB of moments (~67 M parameters): 1/8 of wasm's heap cap; BERT-Base (110 M) is above, Small (28 M) below. */
export const MOMENTS_ON_HOST_BYTES = 512 * 2 ** 20;

/** Moments between steps: on the backend, or (placement "host") as host arrays. */
interface StoredParamState {
  step: number;
  expAvg: tf.Variable | Float32Array;
  expAvgSq: tf.Variable | Float32Array;
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
  private readonly state = new Map<Parameter, StoredParamState>();
  private disposed = false;
  /** Resolved from "auto" at the first step (the backend is known only then). */
  private momentsOnHost: boolean | undefined;

  protected constructor(
    readonly kind: string,
    params: OptimizerParams,
    defaults: AdamHyperParams & { correctBias?: boolean },
    /** Where the moments live between steps; see MomentsPlacement. */
    readonly momentsPlacement: MomentsPlacement = "auto",
  ) {
    if (!["auto", "backend", "host"].includes(momentsPlacement)) {
      throw new Error(`${kind}: momentsPlacement is "${String(momentsPlacement)}"; expected "auto", "backend" or "host".`);
    }
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
        const stored = this.stateOf(p);
        stored.step += 1;
        if (stored.expAvg instanceof Float32Array && stored.expAvgSq instanceof Float32Array) {
          this.updateFromHost(p, p.grad, { step: stored.step, expAvg: stored.expAvg, expAvgSq: stored.expAvgSq }, group);
        } else {
          this.updateParameter(p, p.grad, stored as AdamParamState, group);
        }
      }
    }
  }

  /** Update one parameter in place (variable.assign) and its moments; called inside no outer tidy. */
  protected abstract updateParameter(p: Parameter, grad: tf.Tensor, state: AdamParamState, group: ParamGroup): void;

  /**
   * The update with host-resident moments, in row chunks of at most Optimizer.hostChunkValues values: each
   * chunk's slice of the weights, gradient and moments goes through updateParameter, the moments come back
   * into the host arrays, the weights into the variable's own buffer on wasm (or a host copy uploaded once).
   * So a 94 MiB embedding needs no 94 MiB block of wasm heap, which the backward leaves fragmented.
   * Elementwise ops per element: chunking does not change a bit (test/optim/moments-placement.test.ts).
   */
  private updateFromHost(
    p: Parameter,
    grad: tf.Tensor,
    stored: { step: number; expAvg: Float32Array; expAvgSq: Float32Array },
    group: ParamGroup,
  ): void {
    const rows = p.shape.length === 0 ? 1 : p.shape[0]!;
    const size = stored.expAvg.length;
    const rowSize = rows === 0 ? 0 : size / rows;
    if (p.shape.length === 0 || size <= Optimizer.hostChunkValues) {
      const state = { step: stored.step, expAvg: toVariable(stored.expAvg, p.shape), expAvgSq: toVariable(stored.expAvgSq, p.shape) };
      try {
        this.updateParameter(p, grad, state, group);
        readFloatsInto(stored.expAvg, 0, state.expAvg);
        readFloatsInto(stored.expAvgSq, 0, state.expAvgSq);
      } finally {
        state.expAvg.dispose();
        state.expAvgSq.dispose();
      }
      return;
    }
    const rowsPerChunk = Math.max(1, Math.floor(Optimizer.hostChunkValues / rowSize));
    const writeInPlace = variableWriter(p.variable);
    const newWeights = writeInPlace ? null : new Float32Array(size);
    for (let row = 0; row < rows; row += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - row);
      const [from, to] = [row * rowSize, (row + n) * rowSize];
      const shape = [n, ...p.shape.slice(1)];
      // Rows are read (sliced) before they are overwritten, so writing in place is safe.
      const chunk = new Parameter(p.name, tf.tidy(() => tf.variable(sliceRows(p.variable, row, n), false, undefined, "float32")));
      const chunkGrad = sliceRows(grad, row, n);
      const state = {
        step: stored.step,
        expAvg: toVariable(stored.expAvg.subarray(from, to), shape),
        expAvgSq: toVariable(stored.expAvgSq.subarray(from, to), shape),
      };
      try {
        this.updateParameter(chunk, chunkGrad, state, group);
        readFloatsInto(stored.expAvg, from, state.expAvg);
        readFloatsInto(stored.expAvgSq, from, state.expAvgSq);
        if (writeInPlace) writeInPlace(from, chunk.variable);
        else readFloatsInto(newWeights!, from, chunk.variable);
      } finally {
        chunk.variable.dispose();
        chunkGrad.dispose();
        state.expAvg.dispose();
        state.expAvgSq.dispose();
      }
    }
    if (newWeights) {
      const t = tf.tensor(newWeights, p.shape, "float32");
      p.variable.assign(t);
      t.dispose();
    }
  }

  /** Values per chunk of a host-moments update (4 MiB of float32); a static so tests can make chunks tiny. */
  static hostChunkValues = 2 ** 20;

  /** Drop every gradient (torch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.zeroGrad();
  }

  /** All parameters in index order (torch numbers state entries this way). */
  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  private stateOf(p: Parameter): StoredParamState {
    let s = this.state.get(p);
    if (!s) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      // The variable shares the zeros' data; tidy drops the scratch handle.
      const zeros = (): tf.Variable | Float32Array =>
        this.resolveMomentsOnHost()
          ? new Float32Array(size)
          : tf.tidy(() => tf.variable(tf.zeros(p.shape, "float32"), false, undefined, "float32"));
      s = { step: 0, expAvg: zeros(), expAvgSq: zeros() };
      this.state.set(p, s);
    }
    return s;
  }

  /** True when the moments live on the host; "auto" is decided once, from the backend and the model's size. */
  protected resolveMomentsOnHost(): boolean {
    if (this.momentsOnHost === undefined) {
      if (this.momentsPlacement === "auto") {
        const values = this.allParams().reduce((n, p) => n + (p.requiresGrad ? p.shape.reduce((a, b) => a * b, 1) : 0), 0);
        this.momentsOnHost = tf.getBackend() === "wasm" && 2 * 4 * values >= MOMENTS_ON_HOST_BYTES;
      } else {
        this.momentsOnHost = this.momentsPlacement === "host";
      }
    }
    return this.momentsOnHost;
  }

  stateDict(): OptimizerStateDict {
    this.assertAlive();
    const params = this.allParams();
    const state: OptimizerStateDict["state"] = {};
    params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      state[i] = { step: s.step, expAvg: toHost(s.expAvg, p.shape), expAvgSq: toHost(s.expAvgSq, p.shape) };
    });
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params: gp, ...hyper } = g;
      const ids = gp.map(() => index++);
      return { ...hyper, betas: [...g.betas] as [number, number], params: ids };
    });
    return { kind: this.kind, state, paramGroups, paramNames: params.map((p) => p.name) };
  }

  /**
   * stateDict() with the moments read by `await`: on webgpu they live on the GPU, which Node reads only
   * asynchronously. The same values as stateDict() on every backend.
   */
  async stateDictAsync(): Promise<OptimizerStateDict> {
    this.assertAlive();
    const onDevice = [...this.state.values()].flatMap((s) => [s.expAvg, s.expAvgSq]).filter((v): v is tf.Variable => !(v instanceof Float32Array));
    await readableOnHost(onDevice);
    return this.stateDict();
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
    const onHost = this.resolveMomentsOnHost();
    const restore = (t: HostTensorData): tf.Variable | Float32Array => (onHost ? Float32Array.from(t.data) : fromHost(t));
    for (const [key, entry] of Object.entries(dict.state)) {
      const p = params[Number(key)]!;
      this.state.set(p, { step: entry.step, expAvg: restore(entry.expAvg), expAvgSq: restore(entry.expAvgSq) });
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
      if (!(s.expAvg instanceof Float32Array)) s.expAvg.dispose();
      if (!(s.expAvgSq instanceof Float32Array)) s.expAvgSq.dispose();
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

function toHost(v: tf.Tensor | Float32Array, shape: number[]): HostTensorData {
  const data = v instanceof Float32Array ? v : (v.dataSync() as Float32Array);
  return { dtype: "float32", shape: [...shape], data: Float32Array.from(data) };
}

/** Upload host moments for one update (one copy into the backend; the array is not kept by it). */
function toVariable(data: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32"), false, undefined, "float32"));
}

/**
 * Rows [row, row + n) of t. On wasm copied out of the heap directly: wasm's Slice kernel reads the WHOLE
 * input into JS first (tfjs-backend-wasm 4.22), once per chunk: seconds a step on BERT-Base (bench/NOTES.md).
 */
function sliceRows(t: tf.Tensor, row: number, n: number): tf.Tensor {
  const shape = [n, ...t.shape.slice(1)];
  const heap = heapView(t);
  if (!heap) return tf.slice(t, [row, ...t.shape.slice(1).map(() => 0)], shape);
  const rowSize = t.size / t.shape[0]!;
  // slice() copies into JS memory first: the upload may grow the heap, which detaches views of it.
  return tf.tensor(heap.slice(row * rowSize, (row + n) * rowSize), shape, "float32");
}

function fromHost(t: HostTensorData): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(t.data), t.shape, "float32"), false, undefined, "float32"));
}
