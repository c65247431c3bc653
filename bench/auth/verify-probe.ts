/**
 * A probe, not part of `npm run bench`: the CPU the server spends authenticating and authorizing one
 * predict request whose HS256 token it has not seen (bench/auth.ts's target figure), without HTTP,
 * so a change to src/auth can be compared back to back in a few seconds:
 *   node --import tsx bench/auth/verify-probe.ts [rounds]
 * Each round sends TOKENS distinct bearer headers in turn (eight times the verifier's memory, as
 * bench/auth/measure.ts does) through Authenticator.authenticateNow, then the role and tenant checks
 * of src/api/authorization.ts; it prints CPU µs per request (median of the rounds), with GC included.
 */
import { SignJWT } from 'jose';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { roleAtLeast } from '../../src/api/access.ts';
import { systemClock } from '../../src/clock.ts';
import type { AuthSettings } from '../../src/config/types.ts';
import type { KeyService } from '../../src/services/key-service.ts';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const TENANT = 'acme';
const TOKENS = 8192;
const rounds = Number(process.argv[2] ?? 15);

const auth: AuthSettings = { mode: 'on', jwtSecret: SECRET, jwks: null, issuer: null, audience: null, rateLimits: { windowMs: 60_000, train: 1, ingest: 1, predict: 1 } };
const authenticator = new Authenticator(auth, {} as KeyService, systemClock);

const sign = (jti: string) =>
  new SignJWT({ role: 'operator', tenant: TENANT }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setJti(jti).setIssuedAt().setExpirationTime('2h').sign(Buffer.from(SECRET));
const headers = await Promise.all(Array.from({ length: TOKENS }, (_, i) => sign(`t${i}`).then((t) => `Bearer ${t}`)));
const reused = `Bearer ${await sign('reused')}`;

let admitted = 0;
function request(header: string): void {
  const principal = authenticator.authenticateNow(header);
  if (!principal || !roleAtLeast(principal.role, 'operator')) throw new Error('refused');
  if (principal.tenants !== '*' && !principal.tenants.includes(TENANT)) throw new Error('foreign tenant');
  admitted++;
}

function round(pick: (i: number) => string): number {
  const n = TOKENS * 4;
  // CPU time, not wall time: the machine is shared, and preemption would count as work.
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) request(pick(i));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const unseen: number[] = [];
const one: number[] = [];
for (let r = 0; r < rounds; r++) {
  unseen.push(round((i) => headers[i % TOKENS]!));
  one.push(round(() => reused));
}
process.stdout.write(
  `unseen token: ${median(unseen).toFixed(2)} µs/request (min ${Math.min(...unseen).toFixed(2)}); one token: ${median(one).toFixed(2)} µs/request (min ${Math.min(...one).toFixed(2)}); ${admitted} admitted\n`,
);
