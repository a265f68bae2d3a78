// The classifier a preset trains: `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)`
// for the pretrained presets, and for `tiny` BERT-Tiny's shape over the checkpoint's config, initialised from the seed.
import { AutoModelForSequenceClassification } from "../models/auto";
import { loadConfig, type BertForSequenceClassification } from "../models/bert";
import { presetFilesError, PRESETS, type PresetName } from "./presets";

export async function modelForPreset(preset: PresetName, seed: number, options: { quiet?: boolean } = {}): Promise<BertForSequenceClassification> {
  const { checkpoint, initFromSeed, configOverrides, notice } = PRESETS[preset];
  if (!options.quiet) console.log(notice);
  if (initFromSeed) {
    const config = (await loadConfig(checkpoint)).update({ ...configOverrides, numLabels: 2 });
    return AutoModelForSequenceClassification.fromConfig(config, { seed });
  }
  return AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2, seed }).catch((err: unknown) => {
    throw presetFilesError(preset, err);
  });
}
