import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

type AddFormats = (ajv: Ajv) => Ajv;
// ajv-formats ships CommonJS; under ESM its function may arrive wrapped in `default`.
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

const base: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

/**
 * Query strings and path params are text, so they are coerced ("limit=10" → 10). Bodies are JSON and
 * keep their types: a number sent where a string belongs is a 400, not silently "42".
 */
function compilers() {
  const coercing = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  const strict = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const compile: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  return compile;
}

export const validatorCompiler = compilers();

/** A POST whose body is optional: an absent body is validated (and handled) as `{}`. */
export async function absentBodyAsEmpty(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}
