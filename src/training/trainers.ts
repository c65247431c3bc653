/** The trainer a run uses: the declaration's (gbdt, linear, command), or the import of an ONNX model. */
import type { ModelDefinition } from './model-definition.ts';
import type { Trainer } from './trainer.ts';
import { gbdtTrainer, linearTrainer } from './trainer-builtin.ts';
import { commandTrainer } from './trainer-command.ts';
import { onnxImportTrainer, type OnnxImportRequest } from './trainer-onnx-import.ts';

export function trainerFor(def: ModelDefinition, importRequest?: OnnxImportRequest): Trainer {
  if (importRequest) return onnxImportTrainer(importRequest);
  if (def.trainer.kind === 'gbdt') return gbdtTrainer;
  if (def.trainer.kind === 'linear') return linearTrainer;
  return commandTrainer;
}
