/**
 * A dataset definition as a client sends it (API body or CLI file) → a checked DatasetSchema, and
 * which schema changes stored samples survive. Pure: no store, no clock.
 */
import { NsError } from '../../errors.ts';
import { ID_RULE } from '../../ids.ts';
import type { ColumnType, DatasetSchema, LabelType } from '../types.ts';

export const DATASET_ID_PATTERN = ID_RULE;
export const COLUMN_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$';
export const MAX_FEATURES = 1000;
const COLUMN_TYPES: readonly ColumnType[] = ['numeric', 'categorical'];
const LABEL_TYPES: readonly LabelType[] = ['binary', 'numeric'];

export interface DatasetDefinition {
  entityKey: string;
  timestamp: string;
  features: ReadonlyArray<{ name: string; type: ColumnType; nullable?: boolean }>;
  label: { name: string; type: LabelType; nullable?: boolean };
}

const invalid = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(v: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(v).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw invalid(where ? `${where}.${extra}` : extra, `unknown field; allowed fields are ${allowed.join(', ')}`);
}

function columnName(v: unknown, field: string): string {
  if (typeof v !== 'string') throw invalid(field, 'required: a column name');
  if (!new RegExp(COLUMN_NAME_PATTERN).test(v)) throw invalid(field, `"${v}" is not a valid column name: a letter or _ first, then letters, digits, _ . - (at most 64)`);
  // Rows are plain objects: a column named like an Object property (__proto__, constructor) would read the wrong thing.
  if (v in Object.prototype) throw invalid(field, `"${v}" is reserved; choose another column name`);
  return v;
}

function nullable(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(field, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** Checks shape and rules (names valid and distinct, at least one feature); nullable defaults to false. */
export function checkDatasetDefinition(tenantId: string, id: string, input: unknown): DatasetSchema {
  if (!new RegExp(DATASET_ID_PATTERN).test(id)) throw invalid('datasetId', `"${id}" is not a valid dataset id: lowercase letters, digits, _ . - (at most 64)`);
  if (!isObject(input)) throw invalid('body', 'a dataset definition is an object with entityKey, timestamp, features and label');
  onlyKeys(input, ['entityKey', 'timestamp', 'features', 'label'], '');
  const entityKey = columnName(input.entityKey, 'entityKey');
  const timestamp = columnName(input.timestamp, 'timestamp');
  if (!Array.isArray(input.features) || input.features.length === 0) throw invalid('features', 'required: a list of at least one {name, type, nullable}');
  if (input.features.length > MAX_FEATURES) throw invalid('features', `at most ${MAX_FEATURES} features`);
  const features = input.features.map((f: unknown, i) => {
    const where = `features[${i}]`;
    if (!isObject(f)) throw invalid(where, 'must be an object {name, type, nullable}');
    onlyKeys(f, ['name', 'type', 'nullable'], where);
    return { name: columnName(f.name, `${where}.name`), type: oneOf(f.type, COLUMN_TYPES, `${where}.type`), nullable: nullable(f.nullable, `${where}.nullable`) };
  });
  if (!isObject(input.label)) throw invalid('label', 'required: an object {name, type, nullable}');
  onlyKeys(input.label, ['name', 'type', 'nullable'], 'label');
  const label = { name: columnName(input.label.name, 'label.name'), type: oneOf(input.label.type, LABEL_TYPES, 'label.type'), nullable: nullable(input.label.nullable, 'label.nullable') };
  const seen = new Map<string, string>();
  const claim = (name: string, field: string) => {
    const other = seen.get(name);
    if (other !== undefined) throw invalid(field, `column "${name}" is already used by ${other}; every column needs its own name`);
    seen.set(name, field);
  };
  claim(entityKey, 'entityKey');
  claim(timestamp, 'timestamp');
  features.forEach((f, i) => claim(f.name, `features[${i}].name`));
  claim(label.name, 'label.name');
  return { id, tenantId, entityKey, timestamp, features, label };
}

export const sameSchema = (a: DatasetSchema, b: DatasetSchema): boolean =>
  JSON.stringify([a.entityKey, a.timestamp, a.features, a.label]) === JSON.stringify([b.entityKey, b.timestamp, b.features, b.label]);

/**
 * Why stored samples cannot keep their meaning under the new schema (empty = compatible).
 * Compatible: renaming the entity, timestamp or label column; making a column nullable; adding
 * nullable features after the existing ones (stored rows read them as missing).
 */
export function incompatibilities(prev: DatasetSchema, next: DatasetSchema): string[] {
  const reasons: string[] = [];
  prev.features.forEach((p, i) => {
    const n = next.features[i];
    if (!n || n.name !== p.name) reasons.push(`feature "${p.name}" (position ${i + 1}) was removed, renamed or moved`);
    else if (n.type !== p.type) reasons.push(`feature "${p.name}" changed type from ${p.type} to ${n.type}`);
    else if (p.nullable && !n.nullable) reasons.push(`feature "${p.name}" became non-nullable`);
  });
  for (const n of next.features.slice(prev.features.length)) {
    if (!n.nullable) reasons.push(`new feature "${n.name}" must be nullable: stored samples have no value for it`);
  }
  if (next.label.type !== prev.label.type) reasons.push(`the label changed type from ${prev.label.type} to ${next.label.type}`);
  if (prev.label.nullable && !next.label.nullable) reasons.push('the label became non-nullable');
  return reasons;
}
