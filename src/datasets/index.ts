export { Dataset, type Row, type Columns, type DatasetFormat, type FormatType, type MapOptions } from "./dataset";
export { DatasetDict, type SplitDict, type SplitAccess } from "./datasetDict";
export { Features, Value, ClassLabel, Sequence, type FeatureType, inferFeature } from "./features";
export { loadDataset, GLUE_CONFIGS, GLUE_REPO, type MrpcRow, type Sst2Row, type GlueSplit, type DataFiles, type LocalLoadOptions } from "./load";
export { CorruptFileError } from "./readers/parquet";
export { parseCsv } from "./readers/csv";
