/**
 * The master key every tenant's data keys are derived from (tenant-keys.ts). It comes from
 * NIGHTSHIFT_MASTER_KEY (32 bytes, base64 or hex), or from `<dataDir>/master.key`, generated with
 * 0600 permissions on first start. The file holds one base64 key per line: the first is current
 * (new encryptions), the others are retired keys still accepted for reading while `nightshift keys
 * rotate-master` re-encrypts. A key is named by its id (8 bytes of a hash of it, never the key),
 * which every ciphertext carries, so a wrong key is told apart from a tampered artifact.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NsError } from '../errors.ts';
import { MASTER_KEY_ENV, MASTER_KEY_PREVIOUS_ENV, type MasterKeyEnv } from '../config/master-key-env.ts';

export const KEY_BYTES = 32;
export const KEY_ID_BYTES = 8;
export const MASTER_KEY_FILE = 'master.key';

export interface MasterKey {
  /** Hex of KEY_ID_BYTES: safe to log and store. */
  readonly id: string;
  readonly bytes: Buffer;
}

export type KeySource = 'env' | 'file';

export function masterKeyOf(bytes: Buffer): MasterKey {
  if (bytes.length !== KEY_BYTES) throw new NsError('NS_INTERNAL', `a master key is ${KEY_BYTES} bytes, got ${bytes.length}`);
  const id = createHash('sha256').update('nightshift master key id\0').update(bytes).digest().subarray(0, KEY_ID_BYTES).toString('hex');
  return Object.freeze({ id, bytes: Buffer.from(bytes) });
}

export function generateMasterKey(): MasterKey {
  return masterKeyOf(randomBytes(KEY_BYTES));
}

/** 32 bytes as 64 hex digits or base64 (44 characters); anything else names the variable and the fix. */
export function parseMasterKey(text: string, where: string): MasterKey {
  const t = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new NsError('NS_CONFIG_INVALID', `${where}: a master key is ${KEY_BYTES} random bytes as 64 hex digits or base64; generate one with \`openssl rand -base64 32\``, { field: where });
  }
  return masterKeyOf(bytes);
}

/**
 * The current key and the retired ones. A key file can change under a running process (a rotation
 * by the CLI), so meeting an unknown key id re-reads it once before giving up.
 */
export class MasterKeyring {
  #current: MasterKey;
  #all: Map<string, MasterKey>;

  constructor(
    current: MasterKey,
    previous: readonly MasterKey[],
    readonly source: KeySource,
    /** The key file, when source is 'file'. */
    readonly file: string | null,
  ) {
    this.#current = current;
    this.#all = new Map([current, ...previous].map((k) => [k.id, k]));
  }

  get current(): MasterKey {
    return this.#current;
  }

  get ids(): string[] {
    return [...this.#all.keys()];
  }

  /** The key with this id, or null when neither this ring nor (for a key file) its file has it. */
  find(id: string): MasterKey | null {
    const known = this.#all.get(id);
    if (known || this.source !== 'file' || !this.file) return known ?? null;
    this.reload();
    return this.#all.get(id) ?? null;
  }

  /** Re-reads the key file (a rotation elsewhere); keeps the keys this ring already knew for reading. */
  reload(): void {
    if (this.source !== 'file' || !this.file) return;
    const [current, ...previous] = readKeyFile(this.file);
    if (!current) return;
    const all = new Map(this.#all);
    for (const k of [current, ...previous]) all.set(k.id, k);
    this.#current = current;
    this.#all = all;
  }
}

export interface LoadMasterKeyOptions {
  dataDir: string;
  env: MasterKeyEnv;
  /** Create the key file when absent (default true); read-only callers say false. */
  create?: boolean;
}

/** The keyring: from the environment when NIGHTSHIFT_MASTER_KEY is set, else from (or into) the key file. */
export function loadMasterKeyring(options: LoadMasterKeyOptions): MasterKeyring {
  const previousFromEnv = options.env.previous.map((text, i) => parseMasterKey(text, `${MASTER_KEY_PREVIOUS_ENV}[${i}]`));
  if (options.env.current) return new MasterKeyring(parseMasterKey(options.env.current, MASTER_KEY_ENV), previousFromEnv, 'env', null);
  const file = keyFileOf(options.dataDir);
  let keys = tryReadKeyFile(file);
  if (!keys) {
    if (options.create === false) {
      throw new NsError('NS_CONFIG_INVALID', `${MASTER_KEY_ENV}: not set, and there is no key file at ${file}; set the variable, or start \`nightshift serve\` once to generate the file`, { field: MASTER_KEY_ENV });
    }
    keys = createKeyFile(file);
  }
  const [current, ...previous] = keys;
  if (!current) throw new NsError('NS_CONFIG_INVALID', `${file}: the master key file is empty; restore it from your backup (artifacts encrypted with it cannot be read without it)`, { field: MASTER_KEY_ENV });
  return new MasterKeyring(current, [...previous, ...previousFromEnv], 'file', file);
}

export const keyFileOf = (dataDir: string): string => join(resolve(dataDir), MASTER_KEY_FILE);

function tryReadKeyFile(file: string): MasterKey[] | null {
  try {
    return readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Refuses a key file others can read: the key would protect nothing. */
export function readKeyFile(file: string): MasterKey[] {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new NsError('NS_CONFIG_INVALID', `${file}: the master key file is readable by others (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``, { field: MASTER_KEY_ENV });
  }
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return lines.map((l, i) => parseMasterKey(l, `${file} line ${i + 1}`));
}

/** Creates the file with a new key; a process that loses the race to create it reads the winner's. */
function createKeyFile(file: string): MasterKey[] {
  mkdirSync(dirname(file), { recursive: true });
  const key = generateMasterKey();
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw error;
  }
  try {
    writeSync(fd, keyFileText([key]));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return [key];
}

/** Replaces the key file atomically (temp file 0600, fsync, rename): current first, then retired keys. */
export function writeKeyFile(file: string, keys: readonly MasterKey[]): void {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, keyFileText(keys));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function keyFileText(keys: readonly MasterKey[]): string {
  const header = '# nightshift master key: the first line is current, later lines are retired keys kept for reading. Back this file up; never share it.\n';
  return header + keys.map((k) => `${k.bytes.toString('base64')}\n`).join('');
}
