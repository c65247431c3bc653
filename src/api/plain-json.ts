/**
 * JSON.stringify as a reply's serializer, for a response whose DTO builds exactly the fields of its
 * response schema (the schema still documents it and still serializes error answers). Fastify's
 * schema serializer (fast-json-stringify) checks every nullable field of a union schema
 * (`anyOf: [date-time string, null]`) with Ajv, date formats included: for a page of 50 runs,
 * measured 450 µs against 170 µs here, on the API's busiest list (GET /api/runs).
 */
export const plainJson = (payload: unknown): string => JSON.stringify(payload);
