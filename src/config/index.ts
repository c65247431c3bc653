export type * from './types.ts';
export { DEFAULTS, LOG_LEVELS } from './defaults.ts';
export { ENV, readEnv, type Env } from './env.ts';
export { CONFIG_EXTENSIONS, loadConfigFile, parseConfig, type FileConfig } from './config-file.ts';
export { implicitScheduleId } from './implicit-schedules.ts';
export { deepFreeze } from '../deep-freeze.ts';
export { checkConfig, loadSettings, type LoadSettingsOptions } from './load-settings.ts';
export { ID_RULE } from './values.ts';
