// The model shapes the bench times (Google's BERT miniatures, BERT-Base and the pretrained preset's MiniLM-L6) and the fixed workload:
// batch 8, length 65 (a typical MRPC batch after dynamic padding), vocab 30522, dropout 0.1, AdamW.
export type ShapeName = "tiny" | "mini" | "small" | "base" | "minilm";

export interface ModelShape {
  name: ShapeName;
  label: string;
  numHiddenLayers: number;
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
}

export const SHAPES: Record<ShapeName, ModelShape> = {
  tiny: { name: "tiny", label: "Tiny L2/H128", numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512 },
  mini: { name: "mini", label: "Mini L4/H256", numHiddenLayers: 4, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024 },
  small: { name: "small", label: "Small L4/H512", numHiddenLayers: 4, hiddenSize: 512, numAttentionHeads: 8, intermediateSize: 2048 },
  base: { name: "base", label: "Base L12/H768", numHiddenLayers: 12, hiddenSize: 768, numAttentionHeads: 12, intermediateSize: 3072 },
  // sentence-transformers/all-MiniLM-L6-v2, the all-minilm-l6-v2 preset (random weights: only the shape matters here).
  minilm: { name: "minilm", label: "MiniLM-L6 L6/H384", numHiddenLayers: 6, hiddenSize: 384, numAttentionHeads: 12, intermediateSize: 1536 },
};

export const SHAPE_NAMES = Object.keys(SHAPES) as ShapeName[];

export const WORKLOAD = { batch: 8, length: 65, vocabSize: 30522, dropout: 0.1, lr: 5e-5 } as const;

/** PyTorch 1.13 step times on this machine that DESIGN.md §3 records (ms); Base was not measured. */
export const DESIGN_PYTORCH_STEP_MS: Partial<Record<ShapeName, number>> = { tiny: 43, mini: 257, small: 858 };

export function isShapeName(s: string): s is ShapeName {
  return (SHAPE_NAMES as string[]).includes(s);
}
