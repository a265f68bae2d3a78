// transformers' models: the Auto class and the one architecture the kit implements.
export { AutoModelForSequenceClassification } from "./auto";
export * from "./bert";
