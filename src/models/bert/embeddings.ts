// BertEmbeddings: word + token type + position embeddings, then LayerNorm and dropout.
import * as tf from "@tensorflow/tfjs-core";
import { Dropout, type RandomSource } from "../../nn/dropout";
import { Embedding } from "../../nn/embedding";
import { LayerNorm } from "../../nn/layer-norm";
import { Module } from "../../nn/module";
import type { BertConfig } from "./config";

export class BertEmbeddings extends Module {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(
    private readonly config: BertConfig,
    random: RandomSource,
  ) {
    super();
    if (config.positionEmbeddingType !== "absolute") {
      throw new Error(`position_embedding_type "${config.positionEmbeddingType}" is not supported (only "absolute")`);
    }
    const std = config.initializerRange;
    this.wordEmbeddings = this.registerModule(
      "word_embeddings",
      new Embedding(config.vocabSize, config.hiddenSize, { paddingIdx: config.padTokenId, initStd: std }),
    );
    this.positionEmbeddings = this.registerModule("position_embeddings", new Embedding(config.maxPositionEmbeddings, config.hiddenSize, { initStd: std }));
    this.tokenTypeEmbeddings = this.registerModule("token_type_embeddings", new Embedding(config.typeVocabSize, config.hiddenSize, { initStd: std }));
    this.layerNorm = this.registerModule("LayerNorm", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.dropout = this.registerModule("dropout", new Dropout(config.hiddenDropoutProb, random));
  }

  /** inputIds, tokenTypeIds: int32 [batch, seq] -> [batch, seq, hidden]. */
  forward(inputIds: tf.Tensor, tokenTypeIds?: tf.Tensor): tf.Tensor {
    const seqLength = inputIds.shape[1]!;
    if (seqLength > this.config.maxPositionEmbeddings) {
      throw new Error(
        `input_ids has ${seqLength} positions but max_position_embeddings is ${this.config.maxPositionEmbeddings}; truncate the inputs (truncation: true)`,
      );
    }
    const positionIds = tf.range(0, seqLength, 1, "int32");
    const tokenTypes = tokenTypeIds ?? tf.zeros(inputIds.shape, "int32");
    // Same order of additions as transformers: (words + token types) + positions.
    let embeddings = tf.add(this.wordEmbeddings.forward(inputIds), this.tokenTypeEmbeddings.forward(tokenTypes));
    embeddings = tf.add(embeddings, this.positionEmbeddings.forward(positionIds));
    return this.dropout.forward(this.layerNorm.forward(embeddings));
  }
}
