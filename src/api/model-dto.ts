/** Model, version and alias-change shapes as the API returns them (epoch ms → ISO-8601). */
import { Type } from 'typebox';
import type { AliasChange, ModelVersion } from '../registry/index.ts';
import type { ModelSummary } from '../models/model-service.ts';
import { EXPORTABLE_KINDS, ONNX_INPUT_MEANING, type OnnxExport } from '../models/export-onnx.ts';

import { iso } from './dto.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });
const Open = Type.Object({}, { additionalProperties: true });

export const VersionSchema = Type.Object({
  tenantId: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  name: Type.String({ description: 'model_tenant_vN, e.g. failure_acme_v3' }),
  trainer: Type.String(),
  params: Open,
  mode: Type.String({ enum: ['full', 'incremental'] }),
  parentVersion: Nullable(Type.Integer()),
  dataWindow: Nullable(Type.Object({ since: IsoTime, until: IsoTime })),
  samples: Type.Object({ train: Type.Integer(), holdout: Type.Integer() }),
  metrics: Type.Record(Type.String(), Nullable(Type.Number())),
  gate: Type.Object({ passed: Type.Boolean(), reasons: Type.Array(Open) }),
  artifact: Type.Object({ sha256: Type.String(), size: Type.Integer() }),
  trainingMs: Type.Integer(),
  trigger: Type.String(),
  runId: Nullable(Type.String()),
  wasChampion: Type.Boolean(),
  createdAt: IsoTime,
});

export function versionDto(v: ModelVersion) {
  return {
    tenantId: v.tenantId,
    model: v.modelName,
    version: v.version,
    name: v.name,
    trainer: v.trainer,
    params: v.params,
    mode: v.mode,
    parentVersion: v.parentVersion,
    dataWindow: v.dataWindow ? { since: iso(v.dataWindow.since), until: iso(v.dataWindow.until) } : null,
    samples: v.samples,
    metrics: v.metrics,
    gate: { passed: v.gate.passed, reasons: v.gate.reasons as Record<string, unknown>[] },
    artifact: v.artifact,
    trainingMs: v.trainingMs,
    trigger: v.trigger,
    runId: v.runId,
    wasChampion: v.wasChampion,
    createdAt: iso(v.createdAt),
  };
}

export const AliasChangeSchema = Type.Object({
  revision: Type.Integer(),
  version: Type.Integer(),
  previousVersion: Nullable(Type.Integer()),
  action: Type.String({ enum: ['promote', 'rollback'] }),
  reason: Nullable(Type.String()),
  actor: Nullable(Type.String()),
  runId: Nullable(Type.String()),
  at: IsoTime,
});

export const aliasChangeDto = (c: AliasChange) => ({
  revision: c.revision,
  version: c.version,
  previousVersion: c.previousVersion,
  action: c.action,
  reason: c.reason,
  actor: c.actor,
  runId: c.runId,
  at: iso(c.at),
});

export const ModelSchema = Type.Object({
  tenantId: Type.String(),
  name: Type.String(),
  jobId: Type.String({ description: 'the train job: trigger it, schedule it, read its runs' }),
  origin: Type.String({ enum: ['config', 'api'] }),
  definition: Open,
  champion: Nullable(VersionSchema),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const modelDto = (m: ModelSummary) => ({
  tenantId: m.tenantId,
  name: m.definition.name,
  jobId: m.jobId,
  origin: m.origin,
  definition: m.definition as unknown as Record<string, unknown>,
  champion: m.champion ? versionDto(m.champion) : null,
  createdAt: iso(m.createdAt),
  updatedAt: iso(m.updatedAt),
});

export const PredictionSchema = Type.Object({
  prediction: Type.Number({ description: 'binary: 0 or 1 (probability ≥ threshold); regression: the value' }),
  probability: Type.Optional(Type.Number()),
  score: Type.Optional(Type.Number()),
  filled: Type.Optional(
    Type.Object(
      {
        missing: Type.Array(Type.String(), { description: "the model's columns the row left out or sent as null: predicted as missing" }),
        unseen: Type.Array(Type.String(), { description: 'categorical columns whose value the model never saw in training: predicted as missing' }),
      },
      { description: 'present only when the model filled something in for this row' },
    ),
  ),
});

const TensorInfo = Type.Object({
  name: Type.String(),
  type: Type.String({ description: "onnxruntime's element type: float64, float32, int64, …" }),
  shape: Type.Array(Type.Union([Type.Integer(), Type.String()]), { description: '"N" is the batch' }),
});

export const OnnxExportSchema = Type.Object({
  tenantId: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  versionName: Type.String({ description: 'also the file name: <versionName>.onnx' }),
  kind: Type.String({ enum: [...EXPORTABLE_KINDS], description: 'gbdt and linear: written by nightshift; onnx: the stored file as imported' }),
  task: Type.String({ enum: ['binary', 'regression'] }),
  input: Type.Intersect([TensorInfo, Type.Object({ holds: Type.String({ description: ONNX_INPUT_MEANING }), missing: Type.Literal('NaN') })]),
  features: Type.Array(
    Type.Object({
      column: Type.Integer({ description: 'the column of the input' }),
      name: Type.String(),
      type: Type.String({ enum: ['numeric', 'categorical'] }),
      categories: Type.Optional(Type.Array(Type.String(), { description: 'code i is categories[i]; any other code, or NaN, is missing' })),
    }),
  ),
  outputs: Type.Array(TensorInfo),
  output: Type.String({ description: "the output nightshift reads: a binary model's probability of class 1 is its last column" }),
});

export const onnxExportDto = (e: OnnxExport) => ({
  tenantId: e.version.tenantId,
  model: e.version.modelName,
  version: e.version.version,
  versionName: e.version.name,
  kind: e.kind,
  task: e.task,
  input: { ...e.input, shape: [...e.input.shape], holds: ONNX_INPUT_MEANING, missing: 'NaN' as const },
  features: e.features.map((f, column) => ({ column, name: f.name, type: f.type, ...(f.categories ? { categories: [...f.categories] } : {}) })),
  outputs: e.outputs.map((o) => ({ ...o, shape: [...o.shape] })),
  output: e.output,
});
