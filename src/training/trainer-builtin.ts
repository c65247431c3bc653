/**
 * The built-in trainers, GBDT and linear/logistic, in this process (the training's own child
 * process): full mode from scratch, incremental mode from the champion's model (GBDT: its bins and
 * trees plus `incrementalTrees` more; linear: partialFit).
 */
import { GbdtModel, trainGbdt } from '../trainers/gbdt/index.ts';
import { LinearModel, trainLinear } from '../trainers/linear/index.ts';
import type { TrainedModel } from '../trainers/types.ts';
import { DEFAULT_THRESHOLD } from '../serving/predictor.ts';
import type { ArtifactModel } from './artifact-model.ts';
import type { ModelDefinition } from './model-definition.ts';
import type { Candidate, Trainer, TrainerInput } from './trainer.ts';

const continuesFrom = (kind: 'gbdt' | 'linear') => (champion: ArtifactModel, _trainer: string, def: ModelDefinition) =>
  champion.kind === kind && champion.task === def.task && champion.trained !== null;

function candidateOf(model: TrainedModel, counts: Record<string, number>): Candidate {
  return {
    artifact: model.toArtifact(),
    predict: async (X, options) => model.predict(X, options),
    threshold: DEFAULT_THRESHOLD,
    counts,
    close: async () => undefined,
  };
}

function contextOf(input: TrainerInput) {
  const { ctx } = input;
  return { seed: input.definition.seed, threads: ctx.threads, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) };
}

export const gbdtTrainer: Trainer = {
  name: 'gbdt',
  usesTrainingRows: true,
  canContinue: continuesFrom('gbdt'),
  async train(input) {
    const { definition: def, init } = input;
    const initModel = input.mode === 'incremental' && init?.trained instanceof GbdtModel ? init.trained : undefined;
    const params = initModel ? { ...def.trainer.params, numTrees: def.incrementalTrees } : def.trainer.params;
    const { model } = await trainGbdt(input.train, params, contextOf(input), { featureSpec: input.spec, ...(initModel ? { initModel } : {}) });
    return candidateOf(model, { trees: model.body.trees.length, threads: input.ctx.threads });
  },
};

export const linearTrainer: Trainer = {
  name: 'linear',
  usesTrainingRows: true,
  canContinue: continuesFrom('linear'),
  async train(input) {
    const initModel = input.mode === 'incremental' && input.init?.trained instanceof LinearModel ? input.init.trained : undefined;
    const model = await trainLinear(input.train, input.definition.trainer.params, contextOf(input), { featureSpec: input.spec, ...(initModel ? { initModel } : {}) });
    return candidateOf(model, {});
  },
};
