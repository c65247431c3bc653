export {
  runCommandTrainer,
  COMMAND_TRAINER_DEFAULTS,
  type CommandTrainerSpec,
  type CommandTrainerOptions,
  type CommandTrainerResult,
  type CommandModelBody,
} from './run-command-trainer.ts';
export {
  TRAINER_PROTOCOL_VERSION,
  DATA_FORMATS,
  TRAIN_MODES,
  WORK_FILES,
  parseJobFile,
  readJobFile,
  writeJobFile,
  jobFileJson,
  type TrainerJobFile,
  type JobFilePaths,
  type JobFileFeature,
  type DataFormat,
  type TrainMode,
} from './job-file.ts';
export { writeTrainingData, type WriteDataOptions } from './write-data.ts';
export { csvField } from '../../data/sources/csv-parse.ts';
export { parseProgressLine, parseProgressText } from './progress.ts';
export { parseMetrics, readMetricsFile, inspectModelFile, MAX_METRICS_BYTES, type ModelFileInfo } from './outputs.ts';
