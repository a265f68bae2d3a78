// tqdm, torch.Generator (seeding) and safetensors: the helpers the course and its checkpoints use.
export { tqdm, ProgressBar, type TqdmOptions } from "./progress";
export { Generator, type GeneratorState } from "./random";
export { readSafetensors, writeSafetensors, type DType, type HostTensor } from "./safetensors";
