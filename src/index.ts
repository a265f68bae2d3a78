// The public API of full-training-kit: one import for everything a chapter uses, named as in the
// Python libraries the course imports (datasets, transformers, torch, evaluate, accelerate).

// 🤗 Hub
export * from "./hub";
// 🤗 Datasets
export * from "./datasets";
// 🤗 Transformers: tokenizer, data collator, model, optimizers and schedules
export * from "./tokenizers";
export * from "./data";
export { AutoModelForSequenceClassification } from "./models/auto";
export {
  BertConfig,
  BertModel,
  BertForSequenceClassification,
  fromConfig,
  fromPretrained,
  savePretrained,
  type BertBatch,
  type SequenceClassifierOutput,
  type FromPretrainedOptions as ModelFromPretrainedOptions,
} from "./models/bert";
export * from "./optim";
// torch: device, modules, autograd
export * from "./backend";
export * from "./nn";
// 🤗 Evaluate
export * from "./metrics";
// 🤗 Accelerate
export * from "./accelerate";
// tqdm, seeding, safetensors
export { tqdm, ProgressBar, type TqdmOptions } from "./utils/progress";
export { Generator, type GeneratorState } from "./utils/random";
export { readSafetensors, writeSafetensors, type DType, type HostTensor } from "./utils/safetensors";
