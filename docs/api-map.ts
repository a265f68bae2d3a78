import type { Lang } from "./lib/i18n";

/**
 * The course's Python, line by line, and the kit's TypeScript (DESIGN.md §2). One list for both languages:
 * each chapter page renders the rows that name its chapter. `uses` lists identifiers that must appear in the
 * chapter's source, so a page never claims an API its chapter does not call (the build checks it).
 */
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
    ts: `const rawDatasets = await loadDataset("glue", "mrpc")`,
    uses: ["loadDataset"],
    note: {
      en: "Async: the Parquet files are read from the Hub mirror or cache.",
      fr: "Asynchrone : les fichiers Parquet viennent du miroir du Hub ou du cache.",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `raw_datasets = load_dataset("glue", "sst2")`,
    ts: `const rawDatasets = await loadDataset("glue", "sst2")`,
    uses: ["loadDataset"],
    note: { en: "Same loader, another GLUE task.", fr: "Même chargeur, autre tâche GLUE." },
  },
  {
    chapters: ["01-preprocessing"],
    python: `tokenizer = AutoTokenizer.from_pretrained(checkpoint)`,
    ts: `const tokenizer = await AutoTokenizer.fromPretrained(checkpoint)`,
    uses: ["AutoTokenizer", "fromPretrained"],
    note: { en: "Reads the same tokenizer.json as Python.", fr: "Lit le même tokenizer.json que Python." },
  },
  {
    chapters: ["01-preprocessing"],
    python: `tokenizer(example["sentence1"], example["sentence2"], truncation=True)`,
    ts: `tokenizer.call(example.sentence1, example.sentence2, { truncation: true })`,
    uses: ["truncation"],
    note: {
      en: "JavaScript objects cannot be called, so Python's __call__ becomes call; keyword arguments become an options object.",
      fr: "Un objet JavaScript ne s'appelle pas comme une fonction : le __call__ de Python devient call ; les arguments nommés deviennent un objet d'options.",
    },
  },
  {
    chapters: ["01-preprocessing", "08-sst2"],
    python: `raw_datasets.map(tokenize_function, batched=True)`,
    ts: `rawDatasets.map(tokenizeFunction, { batched: true })`,
    uses: ["map", "batched"],
    note: { en: "Same batched semantics: the function sees columns, not rows.", fr: "Même sémantique par lots : la fonction reçoit des colonnes, pas des lignes." },
  },
  {
    chapters: ["01-preprocessing", "08-sst2"],
    python: `DataCollatorWithPadding(tokenizer=tokenizer)`,
    ts: `new DataCollatorWithPadding({ tokenizer })`,
    uses: ["DataCollatorWithPadding"],
    note: { en: "Keyword arguments become an options object.", fr: "Les arguments nommés deviennent un objet d'options." },
  },
  {
    chapters: ["01-preprocessing", "08-sst2"],
    python: `remove_columns([...]); rename_column("label", "labels"); set_format("torch")`,
    ts: `removeColumns([...]); renameColumn("label", "labels"); setFormat("tfjs")`,
    uses: ["removeColumns", "renameColumn", "setFormat"],
    note: {
      en: "camelCase names; the tensor format is TensorFlow.js instead of PyTorch.",
      fr: "Noms en camelCase ; le format des tenseurs est TensorFlow.js au lieu de PyTorch.",
    },
  },
  {
    chapters: ["02-dataloaders"],
    python: `DataLoader(ds, shuffle=True, batch_size=8, collate_fn=data_collator)`,
    ts: `new DataLoader(ds, { shuffle: true, batchSize: 8, collateFn: dataCollator, seed })`,
    uses: ["DataLoader", "batchSize", "collateFn"],
    note: {
      en: "The shuffle takes an explicit seed, so every run sees the same batches.",
      fr: "Le mélange prend une graine explicite : chaque exécution voit les mêmes lots.",
    },
  },
  {
    chapters: ["03-model"],
    python: `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)`,
    ts: `await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2 })`,
    uses: ["AutoModelForSequenceClassification", "numLabels"],
    note: {
      en: "Loads safetensors or pytorch_model.bin; the classification head starts from the seed.",
      fr: "Charge safetensors ou pytorch_model.bin ; la tête de classification part de la graine.",
    },
  },
  {
    chapters: ["03-model"],
    python: `outputs = model(**batch); outputs.loss; outputs.logits`,
    ts: `const outputs = model.forward(batch); outputs.loss; outputs.logits`,
    uses: ["forward", "logits"],
    note: { en: "No call operator in JavaScript: the forward pass is a method.", fr: "JavaScript n'a pas d'opérateur d'appel : la passe avant est une méthode." },
  },
  {
    chapters: ["05-training-loop"],
    python: `loss.backward()`,
    ts: `const loss = backward(() => model.forward(batch).loss)`,
    uses: ["backward"],
    note: {
      en: "TF.js differentiates a function, so forward and backward share one line; gradients still accumulate on each parameter, like p.grad.",
      fr: "TF.js dérive une fonction : passe avant et rétropropagation tiennent en une ligne ; les gradients s'accumulent toujours sur chaque paramètre, comme p.grad.",
    },
  },
  {
    chapters: ["04-optimizer-scheduler"],
    python: `optimizer = AdamW(model.parameters(), lr=5e-5)`,
    ts: `const optimizer = createOptimizer(hp.optim, model.parameters(), { lr: hp.lr })`,
    uses: ["createOptimizer", "parameters"],
    note: {
      en: "hp.optim names the variant: \"adamw_legacy\" (the transformers.AdamW the French text imports, the default) or \"adamw_torch\" (torch.optim.AdamW); both are also classes, LegacyAdamW and AdamW.",
      fr: "hp.optim nomme la variante : « adamw_legacy » (le transformers.AdamW qu'importe le texte français, par défaut) ou « adamw_torch » (torch.optim.AdamW) ; les deux existent aussi en classes, LegacyAdamW et AdamW.",
    },
  },
  {
    chapters: ["04-optimizer-scheduler"],
    python: `get_scheduler("linear", optimizer=optimizer, num_warmup_steps=0, num_training_steps=num_training_steps)`,
    ts: `getScheduler(hp.lrSchedulerType, { optimizer, numWarmupSteps: hp.numWarmupSteps, numTrainingSteps })`,
    uses: ["getScheduler", "numTrainingSteps"],
    note: {
      en: "The values come from the preset (\"linear\", 0 warm-up steps); same formula, same learning rate at every step.",
      fr: "Les valeurs viennent du préréglage (« linear », 0 pas d'échauffement) ; même formule, même taux d'apprentissage à chaque pas.",
    },
  },
  {
    chapters: ["05-training-loop"],
    python: `optimizer.step(); lr_scheduler.step(); optimizer.zero_grad()`,
    ts: `optimizer.step(); lrScheduler.step(); optimizer.zeroGrad()`,
    uses: ["step", "zeroGrad"],
    note: { en: "Identical, in camelCase.", fr: "Identique, en camelCase." },
  },
  {
    chapters: ["05-training-loop"],
    python: `device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu"); model.to(device)`,
    ts: `const device = await selectDevice(); model.to(device)`,
    uses: ["selectDevice"],
    note: {
      en: "Picks the fastest TF.js backend present (tensorflow-gpu, tensorflow, wasm, cpu) and prints it.",
      fr: "Choisit le backend TF.js le plus rapide disponible (tensorflow-gpu, tensorflow, wasm, cpu) et l'affiche.",
    },
  },
  {
    chapters: ["05-training-loop"],
    python: `progress_bar = tqdm(range(num_training_steps)); progress_bar.update(1)`,
    ts: `const progressBar = tqdm(numTrainingSteps); progressBar.update(1)`,
    uses: ["tqdm", "update"],
    note: { en: "A small progress bar of our own, on stderr.", fr: "Une petite barre de progression maison, sur stderr." },
  },
  {
    chapters: ["06-evaluation-loop", "08-sst2"],
    python: `with torch.no_grad(): ...`,
    ts: `noGrad(() => ...)`,
    uses: ["noGrad"],
    note: {
      en: "A block becomes a callback: a tidy scope that records no gradients.",
      fr: "Le bloc devient une fonction : une portée tidy qui n'enregistre aucun gradient.",
    },
  },
  {
    chapters: ["06-evaluation-loop", "08-sst2"],
    python: `predictions = torch.argmax(logits, dim=-1)`,
    ts: `const predictions = logits.argMax(-1)`,
    uses: ["argMax"],
    note: { en: "A tensor method in TF.js.", fr: "Une méthode du tenseur dans TF.js." },
  },
  {
    chapters: ["06-evaluation-loop"],
    python: `metric = evaluate.load("glue", "mrpc"); metric.add_batch(...); metric.compute()`,
    ts: `const metric = evaluate.load("glue", "mrpc"); metric.addBatch({ predictions, references }); metric.compute()`,
    uses: ["evaluate", "addBatch", "compute"],
    note: { en: "Accuracy and F1 computed as scikit-learn does.", fr: "Exactitude et F1 calculées comme scikit-learn." },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerator = Accelerator(); accelerator.prepare(train_dl, eval_dl, model, optimizer)`,
    ts: `const accelerator = new Accelerator(); await accelerator.prepare(trainDataloader, evalDataloader, model, optimizer)`,
    uses: ["Accelerator", "prepare"],
    note: {
      en: "Shards the batches between processes and averages gradients over TCP.",
      fr: "Répartit les lots entre processus et moyenne les gradients via TCP.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerator.backward(loss)`,
    ts: `await accelerator.backward(() => model.forward(batch).loss)`,
    uses: ["backward"],
    note: { en: "Takes the loss function, for the same reason as backward above.", fr: "Prend la fonction de perte, pour la même raison que backward plus haut." },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerator.gather_for_metrics((predictions, batch["labels"]))`,
    ts: `await accelerator.gatherForMetrics({ predictions, references: batch.labels })`,
    uses: ["gatherForMetrics"],
    note: {
      en: "Collects every process's predictions and drops the duplicates that padded the last batches.",
      fr: "Rassemble les prédictions de tous les processus et retire les doublons qui complétaient les derniers lots.",
    },
  },
  {
    chapters: ["07-accelerate"],
    python: `accelerate config; accelerate launch train.py`,
    ts: `npx kit accelerate config; npx kit accelerate launch chapters/07-accelerate.ts`,
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
  {
    chapters: ["08-sst2"],
    python: `tokenizer(example["sentence"], truncation=True)`,
    ts: `tokenizer.call(example.sentence, null, { truncation: true })`,
    uses: ["call", "truncation"],
    note: {
      en: "One sentence per example: null stands for the missing second sentence.",
      fr: "Une seule phrase par exemple : null tient la place de la seconde phrase absente.",
    },
  },
  {
    chapters: ["08-sst2"],
    python: `metric = evaluate.load("glue", "sst2")`,
    ts: `const metric = evaluate.load("glue", "sst2")`,
    uses: ["evaluate", "addBatch", "compute"],
    note: { en: "SST-2 is scored by accuracy alone.", fr: "SST-2 se mesure à la seule exactitude." },
  },
];
