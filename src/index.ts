// The public API of full-training-kit, laid out as accelerate's __init__.py: the names the course imports at
// the top, each the course's name in camelCase (where the course imports it from, on the right), then the
// rest of each library as a namespace. What is not reachable from here is the kit's own machinery.

// ---- the course's names (chapter 3, "A full training") ------------------------------------------------------
export { loadDataset } from "./datasets"; //                        from datasets import load_dataset
export { AutoTokenizer } from "./tokenizers"; //                    from transformers import AutoTokenizer, DataCollatorWithPadding
export { DataCollatorWithPadding, DataLoader } from "./data"; //    from torch.utils.data import DataLoader
export { AutoModelForSequenceClassification } from "./models"; //   from transformers import AutoModelForSequenceClassification
export { AdamW, getScheduler } from "./optim"; //                   from torch.optim import AdamW; from transformers import get_scheduler
export { selectDevice } from "./backend/public"; //                 torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
export { backward, noGrad } from "./nn"; //                         loss.backward(), with torch.no_grad()
export { tqdm, Generator } from "./utils"; //                       from tqdm.auto import tqdm; torch.Generator / set_seed
export { evaluate } from "./metrics"; //                            import evaluate
export { Accelerator, launch } from "./accelerate"; //              from accelerate import Accelerator, notebook_launcher

// ---- the libraries, one namespace each ---------------------------------------------------------------------
export * as datasets from "./datasets"; //        🤗 Datasets
export * as tokenizers from "./tokenizers"; //    transformers' tokenizers
export * as data from "./data"; //                torch.utils.data + transformers' data collator
export * as models from "./models"; //            transformers' models and configs
export * as optim from "./optim"; //              torch.optim + transformers.optimization
export * as nn from "./nn"; //                    torch.nn, torch.nn.functional, autograd
export * as backend from "./backend/public"; //   torch.device
export * as metrics from "./metrics"; //          🤗 Evaluate
export * as accelerate from "./accelerate"; //    🤗 Accelerate
export * as hub from "./hub"; //                  huggingface_hub
export * as utils from "./utils"; //              tqdm, seeding, safetensors
