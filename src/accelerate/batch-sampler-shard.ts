// Accelerate's BatchSamplerShard (split_batches=False): every process walks the SAME batches and keeps
// batch i when i % numProcesses == processIndex, yielding only complete rounds; with evenBatches the last
// round is completed by cycling from the first batches, so every process gets the same number of batches
// (and of samples, when batches have a fixed size).

export interface ShardOptions {
  numProcesses: number;
  processIndex: number;
  /** The batch size of the underlying batch sampler; null for batches of varying size. */
  batchSize: number | null;
  dropLast: boolean;
  evenBatches: boolean;
}

/** The batches one process draws from `batches` (all processes' batches, in order). */
export function shardBatches(batches: readonly number[][], o: ShardOptions): number[][] {
  const { numProcesses: n, processIndex: me, batchSize, dropLast, evenBatches } = o;
  const out: number[][] = [];
  let initial: number[] = [];
  let initialBatches: number[][] = [];
  let toYield: number[] = [];
  let idx = 0;
  let batch: number[] = [];
  for (idx = 0; idx < batches.length; idx++) {
    batch = batches[idx]!;
    if (!dropLast && idx < n) {
      initial = initial.concat(batch);
      initialBatches.push(batch);
    }
    if (idx % n === me) toYield = batch;
    if (idx % n === n - 1 && (batchSize === null || batch.length === batchSize)) {
      out.push(toYield);
      toYield = [];
    }
  }
  if (dropLast || batches.length === 0) return out;
  idx = batches.length - 1;
  if (!evenBatches) {
    if (toYield.length > 0) out.push(toYield);
    return out;
  }
  if (batchSize === null) {
    // Varying batch sizes (accelerate's newer behaviour): pad the last round with whole batches cycled
    // from the first ones.
    if (toYield.length > 0) out.push(toYield);
    let k = idx + 1;
    let c = 0;
    while (k % n !== 0) {
      if (k % n === me) out.push(initialBatches[c % initialBatches.length]!);
      c++;
      k++;
    }
    return out;
  }
  if (toYield.length === batchSize) out.push(toYield);
  while (initial.length < n * batchSize) initial = initial.concat(initial);
  let pending: number[] = batch.slice();
  if (pending.length === batchSize) {
    pending = [];
    idx += 1;
  }
  let cycle = 0;
  while (idx % n !== 0 || pending.length > 0) {
    const end = cycle + batchSize - pending.length;
    pending = pending.concat(initial.slice(cycle, end));
    if (idx % n === me) out.push(pending);
    cycle = end;
    pending = [];
    idx += 1;
  }
  return out;
}

/** len(BatchSamplerShard) for batches of a fixed size. */
export function shardLength(numBatches: number, o: Omit<ShardOptions, "batchSize">): number {
  const { numProcesses: n, processIndex: me, dropLast, evenBatches } = o;
  const length = Math.floor(numBatches / n);
  if (numBatches % n === 0 || dropLast) return length;
  if (evenBatches) return length + 1;
  return me < numBatches % n ? length + 1 : length;
}
