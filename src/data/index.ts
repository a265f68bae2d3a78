export { DataCollatorWithPadding, disposeBatch, type Batch, type FeatureRow, type PaddingTokenizer } from "./collator";
export { DataLoader, defaultCollate, type DataLoaderOptions, type DataLoaderState, type DataSource, type DefaultBatch } from "./dataloader";
export { BatchSampler, RandomSampler, SequentialSampler, type BatchSamplerLike, type Sampler } from "./sampler";
