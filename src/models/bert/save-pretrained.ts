// save_pretrained for BertForSequenceClassification: the files transformers' from_pretrained reads back.
// Apart from pretrained.ts (loading), which builds the model class, while the model class calls this.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Module } from "../../nn/module";
import { writeSafetensors, type HostTensor } from "../../utils/safetensors";
import type { BertConfig } from "./config";

/** What saving reads of a model: its config and its named parameters. */
export type SavableBertModel = Pick<Module, "namedParameters"> & { readonly config: BertConfig };

/** save_pretrained: config.json and model.safetensors (F32, metadata {"format": "pt"}) that transformers loads. */
export async function savePretrained(model: SavableBertModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = model.config.clone();
  config.architectures = ["BertForSequenceClassification"];
  config.torchDtype = "float32";
  config.transformersVersion ??= "4.31.0";
  const tensors = new Map<string, HostTensor>();
  for (const [name, p] of model.namedParameters()) {
    tensors.set(name, { dtype: "F32", shape: [...p.shape], data: (await p.variable.data()) as Float32Array });
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  await writeFile(join(dir, "config.json"), JSON.stringify(config.toJSON(), null, 2) + "\n");
}
