// transformers' Auto classes, for the one architecture the kit implements.
import { BertConfig, type BertForSequenceClassification, fromConfig, fromPretrained, type FromPretrainedOptions } from "./bert";

export class AutoModelForSequenceClassification {
  /**
   * `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)`: config.json and weights
   * from a local directory or a Hub repo (mirror, cache, download). Config fields can be overridden
   * (`{ numLabels: 2, hiddenDropoutProb: 0 }`); `seed` drives the initialisation of missing tensors and dropout.
   */
  static fromPretrained(repoOrDir: string, options: FromPretrainedOptions = {}): Promise<BertForSequenceClassification> {
    return fromPretrained(repoOrDir, options);
  }

  /** `from_config(config)`: random weights drawn as _init_weights does, from Generator(seed). */
  static fromConfig(config: BertConfig, options: { seed?: number } = {}): BertForSequenceClassification {
    return fromConfig(config, options);
  }
}

export { BertConfig };
