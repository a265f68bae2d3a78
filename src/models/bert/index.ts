// BERT as transformers' modeling_bert / configuration_bert expose it to a user: the config, the base model,
// the classification model and its from_pretrained / from_config / save_pretrained.
export { BertConfig } from "./config";
export type { BertConfigFields, JsonValue, ProblemType } from "./config";
export { BertModel } from "./bert-model";
export type { BertModelOutput } from "./bert-model";
export { BertForSequenceClassification } from "./sequence-classification";
export type { BertBatch, ForwardOptions, LoadingInfo, SequenceClassifierOutput } from "./sequence-classification";
export { fromConfig, fromPretrained, loadConfig } from "./pretrained";
export type { FromPretrainedOptions } from "./pretrained";
export { savePretrained } from "./save-pretrained";
