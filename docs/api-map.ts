import type { Lang } from "./lib/i18n";

/**
 * The course's Python, line by line, and the kit's TypeScript (DESIGN.md §2). One list for both languages:
 * each chapter page renders the rows that name its chapter. `uses` lists identifiers that must appear in the
 * chapter's source, so a page never claims an API its chapter does not call (the build checks it). `ts` holds
 * the chapter's own lines: every line of a chapter's course regions appears in one of its rows
 * (test/docs/course-lines.test.ts), so each difference from the course is explained here, once. A row whose
 * `python` is NOT_IN_COURSE is one of the kit's additions.
 */
/** The Python column of a row that has no course line: the kit adds the TypeScript line (the note says why). */
export const NOT_IN_COURSE = "—";

export interface ApiMapRow {
  chapters: string[];
  python: string;
  ts: string;
  uses: string[];
  note: Record<Lang, string>;
}

export const API_MAP: ApiMapRow[] = [
  {
    chapters: ["01-preprocessing"],
    python: `raw_datasets = load_dataset("glue", "mrpc")`,
    ts: `const rawDatasets = await loadDataset("glue", "mrpc");`,
    uses: ["loadDataset"],
    note: {
      en: "Async: the Parquet files are read from the Hub mirror or cache. Reading files and the network is asynchronous in Node, so every loader is awaited.",
      fr: "Asynchrone : les fichiers Parquet viennent du miroir du Hub ou du cache. Lire des fichiers ou le réseau est asynchrone sous Node : chaque chargement est attendu (await).",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `raw_datasets = load_dataset("glue", "sst2")`,
    ts: `const rawDatasets = await loadDataset("glue", "sst2");`,
    uses: ["loadDataset"],
    note: { en: "Same loader, another GLUE task.", fr: "Même chargeur, autre tâche GLUE." },
  },
  {
    chapters: ["01-preprocessing"],
    python: `tokenizer = AutoTokenizer.from_pretrained(checkpoint)`,
    ts: `const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);`,
    uses: ["AutoTokenizer", "fromPretrained"],
    note: { en: "Reads the same tokenizer.json as Python.", fr: "Lit le même tokenizer.json que Python." },
  },
  {
    chapters: ["01-preprocessing"],
    python: `def tokenize_function(example):
    return tokenizer(example["sentence1"], example["sentence2"], truncation=True)`,
    ts: `function tokenizeFunction(example: { sentence1: string[]; sentence2: string[] }) {
  return tokenizer.call(example.sentence1, example.sentence2, { truncation: true });
}`,
    uses: ["truncation"],
    note: {
      en: "JavaScript objects cannot be called, so Python's __call__ becomes call; keyword arguments become an options object; the parameter's type names the columns the function reads.",
      fr: "Un objet JavaScript ne s'appelle pas comme une fonction : le __call__ de Python devient call ; les arguments nommés deviennent un objet d'options ; le type du paramètre nomme les colonnes lues.",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `def tokenize_function(example):
    return tokenizer(example["sentence"], truncation=True)`,
    ts: `function tokenizeFunction(example: { sentence: string[] }) {
  return tokenizer.call(example.sentence, null, { truncation: true });
}`,
    uses: ["call", "truncation"],
    note: {
      en: "One sentence per example: null stands for the missing second sentence.",
      fr: "Une seule phrase par exemple : null tient la place de la seconde phrase absente.",
    },
  },
  {
    chapters: ["01-preprocessing", "08-sst2"],
    python: `tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)`,
    ts: `const tokenizedDatasets = rawDatasets.map(tokenizeFunction, { batched: true });`,
    uses: ["map", "batched"],
    note: { en: "Same batched semantics: the function sees columns, not rows.", fr: "Même sémantique par lots : la fonction reçoit des colonnes, pas des lignes." },
  },
  {
    chapters: ["01-preprocessing", "08-sst2"],
    python: `data_collator = DataCollatorWithPadding(tokenizer=tokenizer)`,
    ts: `const dataCollator = new DataCollatorWithPadding({ tokenizer });`,
    uses: ["DataCollatorWithPadding"],
    note: { en: "Keyword arguments become an options object.", fr: "Les arguments nommés deviennent un objet d'options." },
  },
  {
    chapters: ["01-preprocessing"],
    python: `tokenized_datasets = tokenized_datasets.remove_columns(["sentence1", "sentence2", "idx"])
tokenized_datasets = tokenized_datasets.rename_column("label", "labels")
tokenized_datasets.set_format("torch")`,
    ts: `const postprocessed = tokenizedDatasets
  .removeColumns(["sentence1", "sentence2", "idx"])
  .renameColumn("label", "labels")
  .setFormat("tfjs");`,
    uses: ["removeColumns", "renameColumn", "setFormat"],
    note: {
      en: "camelCase names; each call returns a new dataset, so the calls chain where Python reassigns the name; the tensor format is TensorFlow.js instead of PyTorch.",
      fr: "Noms en camelCase ; chaque appel rend un nouveau jeu de données, d'où la chaîne là où Python réaffecte le nom ; le format des tenseurs est TensorFlow.js au lieu de PyTorch.",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
tokenized_datasets = tokenized_datasets.remove_columns(["sentence", "idx"])
tokenized_datasets = tokenized_datasets.rename_column("label", "labels")
tokenized_datasets.set_format("torch")`,
    ts: `const tokenizedDatasets = rawDatasets
  .map(tokenizeFunction, { batched: true })
  .removeColumns(["sentence", "idx"])
  .renameColumn("label", "labels")
  .setFormat("tfjs");`,
    uses: ["removeColumns", "renameColumn", "setFormat"],
    note: {
      en: "The same steps as MRPC's, chained, with SST-2's one sentence column.",
      fr: "Les mêmes étapes que pour MRPC, enchaînées, avec l'unique colonne de phrases de SST-2.",
    },
  },
  {
    chapters: ["02-dataloaders"],
    python: `train_dataloader = DataLoader(
    tokenized_datasets["train"], shuffle=True, batch_size=8, collate_fn=data_collator
)`,
    ts: `const trainDataloader = new DataLoader<FeatureRow, Batch>(tokenizedDatasets.train as unknown as Dataset<FeatureRow>, {
  shuffle: true,
  batchSize,
  collateFn: dataCollator,
  seed,
});`,
    uses: ["DataLoader", "batchSize", "collateFn"],
    note: {
      en: "The shuffle takes an explicit seed, so every run sees the same batches. The type arguments and the cast tell TypeScript what a row and a batch hold after setFormat, which it cannot infer from column names chosen at run time.",
      fr: "Le mélange prend une graine explicite : chaque exécution voit les mêmes lots. Les arguments de type et la conversion disent à TypeScript ce que contiennent une ligne et un lot après setFormat, qu'il ne peut déduire de noms de colonnes choisis à l'exécution.",
    },
  },
  {
    chapters: ["02-dataloaders"],
    python: `eval_dataloader = DataLoader(
    tokenized_datasets["validation"], batch_size=8, collate_fn=data_collator
)`,
    ts: `const evalDataloader = new DataLoader<FeatureRow, Batch>(tokenizedDatasets.validation as unknown as Dataset<FeatureRow>, {
  batchSize,
  collateFn: dataCollator,
});`,
    uses: ["DataLoader"],
    note: { en: "No shuffle: the validation batches keep the dataset's order.", fr: "Sans mélange : les lots de validation gardent l'ordre du jeu de données." },
  },
  {
    chapters: ["02-dataloaders"],
    python: `for batch in train_dataloader:
    break
{k: v.shape for k, v in batch.items()}`,
    ts: `let firstBatchShapes: Record<string, number[]> = {};
for (const batch of trainDataloader) {
  firstBatchShapes = batchShapes(batch);
  disposeBatch(batch);
  break;
}
log(firstBatchShapes);`,
    uses: ["batchShapes", "disposeBatch"],
    note: {
      en: "A JavaScript loop variable does not outlive its loop, so the shapes are read inside it; the batch's tensors are then freed (disposeBatch: TF.js has no garbage collector for tensors).",
      fr: "La variable d'une boucle JavaScript ne survit pas à la boucle : les formes sont lues dedans ; les tenseurs du lot sont ensuite libérés (disposeBatch : TF.js n'a pas de ramasse-miettes pour les tenseurs).",
    },
  },
  {
    chapters: ["03-model"],
    python: `model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)`,
    ts: `const model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2, seed });`,
    uses: ["AutoModelForSequenceClassification", "numLabels"],
    note: {
      en: "Loads safetensors or pytorch_model.bin; the classification head starts from the seed (Python draws it from torch's global generator).",
      fr: "Charge safetensors ou pytorch_model.bin ; la tête de classification part de la graine (Python la tire du générateur global de torch).",
    },
  },
  {
    chapters: ["03-model"],
    python: `outputs = model(**batch)
print(outputs.loss, outputs.logits.shape)`,
    ts: `const outputs = model.forward(batch!);`,
    uses: ["forward", "logits"],
    note: {
      en: "No call operator in JavaScript: the forward pass is a method. The ! tells TypeScript the batch was set by the loop above.",
      fr: "JavaScript n'a pas d'opérateur d'appel : la passe avant est une méthode. Le ! dit à TypeScript que la boucle précédente a bien fourni le lot.",
    },
  },
  {
    chapters: ["04-optimizer-scheduler", "07-accelerate"],
    python: `optimizer = AdamW(model.parameters(), lr=5e-5)`,
    ts: `const optimizer = createOptimizer(hp.optim, model.parameters(), { lr: hp.lr });`,
    uses: ["createOptimizer", "parameters"],
    note: {
      en: "hp.optim names the variant: \"adamw_legacy\" (the transformers.AdamW the French text imports, the default) or \"adamw_torch\" (torch.optim.AdamW); both are also classes, LegacyAdamW and AdamW.",
      fr: "hp.optim nomme la variante : « adamw_legacy » (le transformers.AdamW qu'importe le texte français, par défaut) ou « adamw_torch » (torch.optim.AdamW) ; les deux existent aussi en classes, LegacyAdamW et AdamW.",
    },
  },
  {
    chapters: ["04-optimizer-scheduler", "08-sst2"],
    python: `num_epochs = 3
num_training_steps = num_epochs * len(train_dataloader)`,
    ts: `const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDataloader.length);`,
    uses: ["plannedSteps"],
    note: {
      en: "The same product (3 × 459 = 1377); plannedSteps also honours --epochs and --max-steps.",
      fr: "Le même produit (3 × 459 = 1377) ; plannedSteps tient compte aussi de --epochs et --max-steps.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `num_epochs = 3
num_training_steps = num_epochs * len(train_dl)`,
    ts: `const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDl.length);`,
    uses: ["plannedSteps"],
    note: {
      en: "After prepare, len(train_dl) is this process's share of the batches.",
      fr: "Après prepare, len(train_dl) est la part des lots de ce processus.",
    },
  },
  {
    chapters: ["04-optimizer-scheduler", "07-accelerate"],
    python: `lr_scheduler = get_scheduler(
    "linear",
    optimizer=optimizer,
    num_warmup_steps=0,
    num_training_steps=num_training_steps,
)`,
    ts: `const lrScheduler = getScheduler(hp.lrSchedulerType, {
  optimizer,
  numWarmupSteps: hp.numWarmupSteps,
  numTrainingSteps,
});`,
    uses: ["getScheduler", "numTrainingSteps"],
    note: {
      en: "The values come from the preset (\"linear\", 0 warm-up steps); same formula, same learning rate at every step.",
      fr: "Les valeurs viennent du préréglage (« linear », 0 pas d'échauffement) ; même formule, même taux d'apprentissage à chaque pas.",
    },
  },
  {
    chapters: ["05-training-loop"],
    python: `device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
model.to(device)`,
    ts: `const device = await selectDevice({ quiet: options.quiet });
model.to(device);`,
    uses: ["selectDevice"],
    note: {
      en: "Picks the fastest TF.js backend present (tensorflow-gpu, tensorflow, wasm, cpu) and prints it, unless --quiet.",
      fr: "Choisit le backend TF.js le plus rapide disponible (tensorflow-gpu, tensorflow, wasm, cpu) et l'affiche, sauf avec --quiet.",
    },
  },
  {
    chapters: ["05-training-loop"],
    python: `progress_bar = tqdm(range(num_training_steps))`,
    ts: `const progressBar = tqdm(numTrainingSteps, { disable: options.quiet });`,
    uses: ["tqdm"],
    note: { en: "A small progress bar of our own, on stderr; --quiet turns it off.", fr: "Une petite barre de progression maison, sur stderr ; --quiet la coupe." },
  },
  {
    chapters: ["07-accelerate"],
    python: `progress_bar = tqdm(range(num_training_steps))`,
    ts: `const progressBar = tqdm(numTrainingSteps, { disable: options.quiet || !accelerator.isLocalMainProcess });`,
    uses: ["tqdm", "isLocalMainProcess"],
    note: {
      en: "One bar per machine, as accelerate's examples do, rather than one per process.",
      fr: "Une barre par machine, comme dans les exemples d'accelerate, plutôt qu'une par processus.",
    },
  },
  {
    chapters: ["05-training-loop"],
    python: NOT_IN_COURSE,
    ts: `progressBar.resume(trainingRun.step);
trainingRun.checkLoss(loss);
progressBar.setPostfix({ loss });
if (await trainingRun.stepDone(loss)) break;`,
    uses: ["resume", "checkLoss", "setPostfix", "stepDone"],
    note: {
      en: "The kit's additions: a resumed run's bar starts at its step; a loss that is not a number stops the run before it reaches the weights; the bar shows the loss; stepDone records the step, writes checkpoints (--save-steps, Ctrl-C) and ends a --max-steps run.",
      fr: "Ajouts du kit : la barre d'une reprise part de son pas ; une perte qui n'est pas un nombre arrête l'entraînement avant d'atteindre les poids ; la barre affiche la perte ; stepDone enregistre le pas, écrit les points de reprise (--save-steps, Ctrl-C) et termine une exécution --max-steps.",
    },
  },
  {
    chapters: ["05-training-loop", "07-accelerate"],
    python: `model.train()`,
    ts: `model.train();`,
    uses: ["train"],
    note: { en: "Identical: dropout on.", fr: "Identique : dropout actif." },
  },
  {
    chapters: ["05-training-loop", "07-accelerate"],
    python: `for epoch in range(num_epochs):`,
    ts: `for (let epoch = 0; epoch < numEpochs; epoch++) {
for (let epoch = trainingRun.startEpoch; epoch < numEpochs; epoch++) {`,
    uses: ["numEpochs"],
    note: {
      en: "JavaScript has no range(); a resumed run (npm start -- --resume) starts at the epoch it stopped in.",
      fr: "JavaScript n'a pas de range() ; une reprise (npm start -- --resume) repart de l'époque où elle s'était arrêtée.",
    },
  },
  {
    chapters: ["05-training-loop", "06-evaluation-loop", "07-accelerate", "08-sst2"],
    python: `for batch in train_dataloader:
for batch in eval_dataloader:`,
    ts: `for (const batch of trainDataloader) {
for (const batch of evalDataloader) {
for (const batch of trainDl) {
for (const batch of evalDl) {`,
    uses: [],
    note: { en: "The dataloaders are iterables, as in Python.", fr: "Les dataloaders sont itérables, comme en Python." },
  },
  {
    chapters: ["05-training-loop"],
    python: `outputs = model(**batch)
loss = outputs.loss
loss.backward()`,
    ts: `const loss = await backwardAsync(() => model.forward(batch).loss!);`,
    uses: ["backwardAsync"],
    note: {
      en: "TF.js differentiates a function, so forward and backward share one line; gradients still accumulate on each parameter, like p.grad. The loss comes back with await: on a GPU (WebGPU in Node) a value is read only asynchronously. The ! says a batch with labels always yields a loss.",
      fr: "TF.js dérive une fonction : passe avant et rétropropagation tiennent en une ligne ; les gradients s'accumulent toujours sur chaque paramètre, comme p.grad. La perte revient avec await : sur un GPU (WebGPU dans Node), une valeur ne se lit que de façon asynchrone. Le ! dit qu'un lot avec étiquettes donne toujours une perte.",
    },
  },
  {
    chapters: ["02-dataloaders", "05-training-loop", "06-evaluation-loop", "07-accelerate", "08-sst2"],
    python: NOT_IN_COURSE,
    ts: `disposeBatch(batch);
disposeBatch(gathered);
tf.dispose(predictions);
predictions.dispose();`,
    uses: [],
    note: {
      en: "TF.js tensors live outside JavaScript's garbage collector: each batch and each prediction is freed once used, or memory grows at every step.",
      fr: "Les tenseurs TF.js échappent au ramasse-miettes de JavaScript : chaque lot et chaque prédiction sont libérés après usage, sinon la mémoire croît à chaque pas.",
    },
  },
  {
    chapters: ["05-training-loop", "07-accelerate"],
    python: `optimizer.step()
lr_scheduler.step()
optimizer.zero_grad()
progress_bar.update(1)`,
    ts: `optimizer.step();
lrScheduler.step();
optimizer.zeroGrad();
progressBar.update(1);`,
    uses: ["step", "zeroGrad", "update"],
    note: { en: "Identical, in camelCase.", fr: "Identique, en camelCase." },
  },
  {
    chapters: ["05-training-loop", "07-accelerate"],
    python: NOT_IN_COURSE,
    ts: `progressBar.close();`,
    uses: ["close"],
    note: {
      en: "Ends the bar's line on stderr before the next output (tqdm does it when the loop's iterator ends).",
      fr: "Termine la ligne de la barre sur stderr avant la sortie suivante (tqdm le fait à la fin de l'itérateur de la boucle).",
    },
  },
  {
    chapters: ["06-evaluation-loop", "07-accelerate", "08-sst2"],
    python: `model.eval()`,
    ts: `model.eval();`,
    uses: ["eval"],
    note: { en: "Identical: dropout off.", fr: "Identique : dropout coupé." },
  },
  {
    chapters: ["06-evaluation-loop"],
    python: `with torch.no_grad():
    outputs = model(**batch)
logits = outputs.logits
predictions = torch.argmax(logits, dim=-1)`,
    ts: `const predictions = noGrad(() => {
  const outputs = model.forward(batch);
  return outputs.logits.argMax(-1);
});`,
    uses: ["noGrad", "argMax"],
    note: {
      en: "A block becomes a callback: a tidy scope that records no gradients and frees the logits; argmax is a tensor method in TF.js.",
      fr: "Le bloc devient une fonction : une portée tidy qui n'enregistre aucun gradient et libère les logits ; argmax est une méthode du tenseur dans TF.js.",
    },
  },
  {
    chapters: ["07-accelerate", "08-sst2"],
    python: `with torch.no_grad():
    outputs = model(**batch)
predictions = outputs.logits.argmax(dim=-1)`,
    ts: `const predictions = noGrad(() => model.forward(batch).logits.argMax(-1));`,
    uses: ["noGrad", "argMax"],
    note: { en: "The same, in one expression.", fr: "La même chose, en une expression." },
  },
  {
    chapters: ["06-evaluation-loop"],
    python: `metric = evaluate.load("glue", "mrpc")
metric.add_batch(predictions=predictions, references=batch["labels"])
metric.compute()`,
    ts: `const metric = evaluate.load("glue", "mrpc");
metric.addBatch({ predictions, references: batch.labels! });
const metrics = metric.compute();`,
    uses: ["evaluate", "addBatch", "compute"],
    note: {
      en: "Accuracy and F1 computed as scikit-learn does. The ! says an evaluation batch has labels.",
      fr: "Exactitude et F1 calculées comme scikit-learn. Le ! dit qu'un lot d'évaluation a des étiquettes.",
    },
  },
  {
    chapters: ["06-evaluation-loop"],
    python: NOT_IN_COURSE,
    ts: `allPredictions.push(...(await predictions.data()));
allReferences.push(...(await batch.labels!.data()));`,
    uses: [],
    note: {
      en: "The kit keeps every prediction for the run record (the docs' confusion matrix and the comparison with Python). Read with await, the way a GPU (WebGPU in Node) can be read, before the metric takes the same tensors.",
      fr: "Le kit garde chaque prédiction pour le compte rendu d'exécution (la matrice de confusion de la doc et la comparaison avec Python). Lues avec await, comme un GPU (WebGPU dans Node) peut l'être, avant que la métrique prenne les mêmes tenseurs.",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `metric = evaluate.load("glue", "sst2")
metric.add_batch(predictions=predictions, references=batch["labels"])
metric.compute()`,
    ts: `const metric = evaluate.load("glue", "sst2");
metric.addBatch({ predictions, references: batch.labels! });
const { accuracy } = metric.compute();`,
    uses: ["evaluate", "addBatch", "compute"],
    note: { en: "SST-2 is scored by accuracy alone.", fr: "SST-2 se mesure à la seule exactitude." },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerator = Accelerator()`,
    ts: `const accelerator = new Accelerator();`,
    uses: ["Accelerator"],
    note: {
      en: "Reads its process's rank and the group's address from the environment kit accelerate launch sets.",
      fr: "Lit le rang de son processus et l'adresse du groupe dans l'environnement que fixe kit accelerate launch.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `train_dl, eval_dl, model, optimizer = accelerator.prepare(
    train_dataloader, eval_dataloader, model, optimizer
)`,
    ts: `const [trainDl, evalDl, model, optimizer] = await accelerator.prepare(trainDataloader, evalDataloader, model0, optimizer0);`,
    uses: ["prepare"],
    note: {
      en: "Shards the batches between processes and averages gradients over TCP; async because it broadcasts rank 0's weights. A const cannot be rebound, hence model0 and optimizer0 for the objects before prepare.",
      fr: "Répartit les lots entre processus et moyenne les gradients via TCP ; asynchrone car il diffuse les poids du rang 0. Une const ne se réaffecte pas : model0 et optimizer0 désignent les objets d'avant prepare.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `outputs = model(**batch)
loss = outputs.loss
accelerator.backward(loss)`,
    ts: `const loss = await accelerator.backward(() => model.forward(batch).loss!);`,
    uses: ["backward"],
    note: {
      en: "Takes the loss function, as backward does in the plain loop; async because the gradients are averaged across processes.",
      fr: "Prend la fonction de perte, comme backward dans la boucle simple ; asynchrone car les gradients sont moyennés entre processus.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: NOT_IN_COURSE,
    ts: `stepsRun += 1;
trainExamples += batch.input_ids.shape[0];
lastLoss = loss;
if (stepsRun === numTrainingSteps) break;`,
    uses: ["stepsRun", "trainExamples"],
    note: {
      en: "The kit counts what each process did for the run's summary, and stops a --max-steps run at the schedule's end.",
      fr: "Le kit compte ce qu'a fait chaque processus pour le résumé de l'exécution, et arrête une exécution --max-steps à la fin du calendrier.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `metric = evaluate.load("glue", "mrpc")
predictions, references = accelerator.gather_for_metrics((predictions, batch["labels"]))
metric.add_batch(predictions=predictions, references=references)
eval_metric = metric.compute()
accelerator.print(eval_metric)`,
    ts: `const metric = evaluate.load("glue", "mrpc");
const gathered = await accelerator.gatherForMetrics({ predictions, references: batch.labels! });
metric.addBatch(gathered);
const evalExamples = metric.size;
const metrics = metric.compute();
accelerator.print(metrics);`,
    uses: ["gatherForMetrics", "addBatch", "compute", "print"],
    note: {
      en: "gatherForMetrics collects every process's predictions and drops the duplicates that padded the last batches (accelerate's nlp_example); the kit also counts them (every validation row once).",
      fr: "gatherForMetrics rassemble les prédictions de tous les processus et retire les doublons qui complétaient les derniers lots (nlp_example d'accelerate) ; le kit les compte aussi (chaque ligne de validation une fois).",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerate config
accelerate launch train.py`,
    ts: `npx kit accelerate config
npx kit accelerate launch chapters/07-accelerate.ts`,
    uses: [],
    note: { en: "The config file is the YAML accelerate itself reads.", fr: "Le fichier de configuration est le YAML que lit accelerate lui-même." },
  },
  {
    chapters: ["07-accelerate"],
    python: `notebook_launcher(training_function)`,
    ts: `launch(trainingFunction, { numProcesses })`,
    uses: [],
    note: { en: "Starts the processes from code instead of the command line.", fr: "Lance les processus depuis le code plutôt qu'en ligne de commande." },
  },
];
