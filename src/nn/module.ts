// torch.nn.Module's bookkeeping: registered parameters and submodules whose dotted paths are the Hugging Face
// state-dict names, in PyTorch's named_parameters() order (own parameters first, then children, in
// registration order); train/eval; stateDict/loadStateDict; dispose.
import * as tf from "@tensorflow/tfjs-core";
import "../backend/tfjs-setup";
import { checkDevice, type Device } from "../backend/device";
import { Generator } from "../utils/random";
import { Parameter } from "./parameter";
import { trackParameter, untrackParameter } from "./registry";

/** A tensor held in host memory, as the checkpoint readers return it (src/utils/safetensors.ts). */
export type HostTensorLike = {
  dtype: string;
  shape: number[];
  data: ArrayLike<number> | BigInt64Array;
};

export type StateValue = tf.Tensor | HostTensorLike;

/**
 * How a parameter starts, as transformers' BertPreTrainedModel._init_weights sets it: normal(0, std) for
 * Linear and Embedding weights (with the padding row zeroed), zeros for biases, ones/zeros for LayerNorm.
 */
export type Init = { kind: "normal"; std: number; zeroRow?: number | null } | { kind: "zeros" } | { kind: "ones" };

export type LoadResult = { missingKeys: string[]; unexpectedKeys: string[] };

function shapeOf(v: StateValue): number[] {
  return v instanceof tf.Tensor ? v.shape : v.shape;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function hostToFloat32(name: string, t: HostTensorLike): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.dtype === "F16" || t.dtype === "BF16") {
    throw new Error(`${name}: ${t.dtype} host tensors must be converted to F32 first (loadCheckpointTensors does this)`);
  }
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

export class ShapeMismatchError extends Error {
  constructor(
    readonly tensorName: string,
    readonly found: number[],
    readonly expected: number[],
    hint = "",
  ) {
    super(
      `size mismatch for ${tensorName}: copying a param with shape [${found.join(", ")}] from checkpoint, ` +
        `the shape in current model is [${expected.join(", ")}].${hint ? " " + hint : ""}`,
    );
    this.name = "ShapeMismatchError";
  }
}

export class Module {
  /** Dropout is active in training mode only (torch's module.training). */
  training = true;
  private readonly ownParameters = new Map<string, { param: Parameter; init: Init }>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, shape: number[], init: Init): Parameter {
    const variable = tf.tidy(() => tf.variable(init.kind === "ones" ? tf.ones(shape) : tf.zeros(shape)));
    const param = new Parameter(name, variable);
    trackParameter(param);
    this.ownParameters.set(name, { param, init });
    return param;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }

  /** Direct children, by attribute name. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every submodule with its dotted path ("" is this module), depth first like torch's named_modules(). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** (dotted name, parameter) in PyTorch's named_parameters() order. */
  namedParameters(prefix = ""): [string, Parameter][] {
    return this.namedParametersWithInit(prefix).map(([name, p]) => [name, p]);
  }

  private namedParametersWithInit(prefix: string): [string, Parameter, Init][] {
    const out: [string, Parameter, Init][] = [];
    const join = (name: string): string => (prefix ? `${prefix}.${name}` : name);
    for (const [name, { param, init }] of this.ownParameters) out.push([join(name), param, init]);
    for (const [name, child] of this.children) out.push(...child.namedParametersWithInit(join(name)));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.variable.size, 0);
  }

  /** Write each parameter's full dotted name into Parameter.name (called by top-level models). */
  protected nameParameters(prefix = ""): void {
    for (const [name, p] of this.namedParameters(prefix)) p.name = name;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** model.to(device): TF.js has one backend per process; this checks it is the one asked for. */
  to(device: Device | string): this {
    checkDevice(device);
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** name -> the live parameter tensors (like torch, references, not copies: do not dispose them). */
  stateDict(): Map<string, tf.Tensor> {
    return new Map(this.namedParameters().map(([name, p]) => [name, p.variable as tf.Tensor]));
  }

  /**
   * Copy values in by name. Shapes must agree (the error names the tensor and both shapes). With strict
   * (the default, as in torch) missing or unexpected keys are an error listing them; otherwise they are
   * returned.
   */
  loadStateDict(state: Map<string, StateValue>, options: { strict?: boolean } = {}): LoadResult {
    const strict = options.strict ?? true;
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !state.has(k));
    const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
      if (unexpectedKeys.length) parts.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`);
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${parts.join("\n\t")}`);
    }
    for (const [name, value] of state) {
      const p = own.get(name);
      if (p && !sameShape(shapeOf(value), p.shape)) throw new ShapeMismatchError(name, shapeOf(value), p.shape);
    }
    for (const [name, value] of state) {
      const p = own.get(name);
      if (!p) continue;
      tf.tidy(() => {
        const t = value instanceof tf.Tensor ? tf.cast(value, "float32") : tf.tensor(hostToFloat32(name, value), value.shape, "float32");
        p.assign(t);
      });
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * (Re)initialise parameters as _init_weights does, drawing from `generator` in named_parameters() order.
   * `only` restricts it to some names (fromPretrained initialises just the missing ones).
   */
  initWeights(generator: Generator, only?: Set<string>): void {
    for (const [name, p, init] of this.namedParametersWithInit("")) {
      if (only && !only.has(name) && !only.has(p.name)) continue;
      const size = p.variable.size;
      let data: Float32Array;
      if (init.kind === "normal") {
        data = generator.normalArray(size, 0, init.std);
        if (init.zeroRow !== undefined && init.zeroRow !== null) {
          const width = p.shape[1]!;
          data.fill(0, init.zeroRow * width, (init.zeroRow + 1) * width);
        }
      } else {
        data = new Float32Array(size).fill(init.kind === "ones" ? 1 : 0);
      }
      tf.tidy(() => p.assign(tf.tensor(data, p.shape, "float32")));
    }
  }

  dispose(): void {
    for (const p of this.parameters()) {
      untrackParameter(p);
      p.dispose();
    }
  }
}

/** torch.nn.ModuleList: children named "0", "1", ... */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
