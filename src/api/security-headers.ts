/**
 * Security headers (nosniff, frame denial, a same-origin CSP for the /docs page…) as @fastify/helmet
 * writes them, computed once. @fastify/helmet builds a fresh helmet middleware, parsing the CSP
 * directives again, on every request (~6 % of a predict request's CPU); the headers never depend on
 * the request here (no CSP nonces, no per-route helmet options), so they are taken from helmet once
 * at start-up, by one request to a throwaway server, and set as they are on every answer.
 */
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';

/** Without upgrade-insecure-requests: a dashboard reached over plain HTTP on a LAN (a home hub) must load its own files. */
export const HELMET_OPTIONS: FastifyHelmetOptions = { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } };

export type HeaderList = ReadonlyArray<readonly [name: string, value: string | readonly string[]]>;

/** The headers helmet sets with these options, in its order. */
export async function securityHeaders(options: FastifyHelmetOptions = HELMET_OPTIONS): Promise<HeaderList> {
  const probe = Fastify({ logger: false });
  try {
    await probe.register(helmet, options);
    // Helmet's hooks ran before the handler and wrote to the raw response only: what it holds is theirs.
    probe.get('/', async (_request, reply) => reply.raw.getHeaders());
    const res = await probe.inject({ method: 'GET', url: '/' });
    const set = res.json<Record<string, string | string[]>>();
    return Object.freeze(Object.entries(set).map(([name, value]) => Object.freeze([name, Array.isArray(value) ? Object.freeze([...value]) : String(value)] as const)));
  } finally {
    await probe.close();
  }
}
