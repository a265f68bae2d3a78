// 🤗 Datasets as the course uses it: loadDataset and the Dataset / DatasetDict it returns, with their features.
export { Dataset, type Row, type Columns, type DatasetFormat, type FormatType, type MapOptions } from "./dataset";
export { DatasetDict, type SplitDict, type SplitAccess } from "./datasetDict";
export { Features, Value, ClassLabel, Sequence, type FeatureType } from "./features";
export { loadDataset, type MrpcRow, type Sst2Row, type GlueSplit, type DataFiles, type LocalLoadOptions } from "./load";
export { CorruptFileError } from "./readers/parquet";
