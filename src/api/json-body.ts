/**
 * The JSON body parser of nightshift's routes: Fastify's own (same limits, same errors, prototype
 * poisoning refused), plus one rule no schema can state: no string may hold U+0000. PostgreSQL text
 * cannot store it (SQLite can), so a body with one is refused on every store as bad input naming
 * where it is, instead of failing in the store with a 500 (found by the route fuzzer).
 */
import type { FastifyInstance } from 'fastify';
import { NsError } from '../errors.ts';

/** JSON text can only spell U+0000 as this escape (a raw control character is invalid JSON). */
const NUL_ESCAPE = '\\u0000';

/** Where the first NUL is, as the validation errors name fields ("rows[1].values.k"); '' at the top. */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const here = path === '' ? key : `${path}.${key}`;
      if (key.includes('\u0000')) return here;
      const found = nulPath(v, here);
      if (found !== null) return found;
    }
  }
  return null;
}

export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    parse(request, text as string, (error, value) => {
      if (error) return done(error, undefined);
      // The scan of the text is cheap; only a body that may hold a NUL is walked.
      const where = (text as string).includes(NUL_ESCAPE) ? nulPath(value, '') : null;
      if (where === null) return done(null, value);
      const field = where.replaceAll('\u0000', '\\0');
      done(new NsError('NS_VALIDATION', `${field === '' ? 'body' : `body.${field}`}: contains a NUL character (U+0000), which no value may hold; remove it`, { field: field === '' ? 'body' : field }), undefined);
    });
  });
}
