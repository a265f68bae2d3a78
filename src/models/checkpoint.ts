// The weights of a saved model directory as float32 host tensors, found the way transformers looks for them:
// model.safetensors first, else pytorch_model.bin (each possibly sharded behind an `.index.json`).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type HostTensor, readSafetensors } from "../utils/safetensors";
import { readTorchBin } from "../utils/torch-pickle";

export type F32HostTensor = HostTensor & { dtype: "F32"; data: Float32Array };

const F16_SCALE = 2 ** -24;

/** IEEE half -> float (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * F16_SCALE;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/**
 * Any stored dtype as float32. F16/BF16 widen exactly; F64 rounds to nearest float32 (what torch's
 * `.float()` does); integer and bool buffers (e.g. position_ids) become their values as floats.
 */
export function toFloat32(name: string, t: HostTensor): F32HostTensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case "F32":
      return { dtype: "F32", shape, data: t.data as Float32Array };
    case "BF16": {
      // bfloat16 is the top half of a float32.
      const src = t.data as Uint16Array;
      const bits = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return { dtype: "F32", shape, data: new Float32Array(bits.buffer) };
    }
    case "F16": {
      const src = t.data as Uint16Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
      return { dtype: "F32", shape, data: out };
    }
    case "I64": {
      const src = t.data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return { dtype: "F32", shape, data: out };
    }
    case "F64":
    case "I32":
    case "I16":
    case "I8":
    case "U8":
    case "BOOL":
      return { dtype: "F32", shape, data: Float32Array.from(t.data as ArrayLike<number>) };
    default:
      throw new Error(`tensor "${name}": cannot convert dtype ${String((t as HostTensor).dtype)} to float32`);
  }
}

/** transformers' `_fix_key` (4.31, modeling_utils): old TF-converted checkpoints name LayerNorm weights gamma/beta. */
export function fixKey(key: string): string {
  if (key.includes("beta")) return key.replaceAll("beta", "bias");
  if (key.includes("gamma")) return key.replaceAll("gamma", "weight");
  return key;
}

/**
 * Rename gamma -> weight and beta -> bias as transformers does at load. Order is kept. Unlike transformers
 * (where the renamed tensor silently overwrites), a key that collides with an existing one is an error.
 */
export function renameLegacyKeys<T>(tensors: Map<string, T>, source = "checkpoint"): Map<string, T> {
  const out = new Map<string, T>();
  for (const [key, value] of tensors) {
    const fixed = fixKey(key);
    if (out.has(fixed)) {
      throw new Error(`${source}: tensor "${key}" renames to "${fixed}" (gamma/beta -> weight/bias), which the checkpoint already holds; remove one of them`);
    }
    out.set(fixed, value);
  }
  return out;
}

/** Shard files listed by a transformers `*.index.json` (`weight_map`: tensor name -> shard file), in first-use order. */
async function readShardIndex(indexPath: string): Promise<string[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, "utf8"));
  } catch (e) {
    throw new Error(`${indexPath}: cannot read the shard index (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== "object" || Array.isArray(map)) {
    throw new Error(`${indexPath}: expected {"weight_map": {tensor name: shard file}}`);
  }
  return [...new Set(Object.values(map as Record<string, unknown>).map(String))];
}

async function readShards(dir: string, indexFile: string, read: (path: string) => Promise<Map<string, HostTensor>>): Promise<Map<string, HostTensor>> {
  const all = new Map<string, HostTensor>();
  for (const shard of await readShardIndex(join(dir, indexFile))) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new Error(`${join(dir, indexFile)} lists the shard ${shard}, which is missing from ${dir}`);
    for (const [k, v] of await read(path)) all.set(k, v);
  }
  return all;
}

const readSt = async (p: string): Promise<Map<string, HostTensor>> => (await readSafetensors(p)).tensors;

/**
 * Load every tensor of a saved model directory as float32: `model.safetensors` (or its sharded index) when
 * present, else `pytorch_model.bin` (or its index). Legacy gamma/beta names are renamed (see
 * renameLegacyKeys) unless `renameLegacy: false`. `source` is the path actually read.
 */
export async function loadCheckpointTensors(
  dir: string,
  options: { renameLegacy?: boolean } = {},
): Promise<{ tensors: Map<string, F32HostTensor>; source: string }> {
  const candidates: Array<[string, () => Promise<Map<string, HostTensor>>]> = [
    ["model.safetensors", () => readSt(join(dir, "model.safetensors"))],
    ["model.safetensors.index.json", () => readShards(dir, "model.safetensors.index.json", readSt)],
    ["pytorch_model.bin", () => readTorchBin(join(dir, "pytorch_model.bin"))],
    ["pytorch_model.bin.index.json", () => readShards(dir, "pytorch_model.bin.index.json", readTorchBin)],
  ];
  for (const [file, read] of candidates) {
    const source = join(dir, file);
    if (!existsSync(source)) continue;
    const raw = await read();
    const converted = new Map<string, F32HostTensor>();
    for (const [name, t] of raw) converted.set(name, toFloat32(name, t));
    const tensors = options.renameLegacy === false ? converted : renameLegacyKeys(converted, source);
    return { tensors, source };
  }
  throw new Error(
    `${dir}: no weights found; expected one of ${candidates.map(([f]) => f).join(", ")}. ` +
      `Save the model with save_pretrained / savePretrained, or point to the directory that holds them.`,
  );
}
