/**
 * Rate limits per tenant and route class: training triggers, ingest and predict spend separate
 * budgets; past one the answer is 429 NS_RATE_LIMITED with Retry-After, and nothing is done. The
 * window runs on the service clock. On PostgreSQL two nodes share one budget.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertError, openTestApi, storeSnapshot, type TestApi } from '../helpers/api.ts';
import { authSettings, bearer } from '../helpers/auth.ts';
import { storeTargets } from '../helpers/dialects.ts';

const LIMITS = { windowMs: 60_000, train: 2, ingest: 3, predict: 4 };

async function operatorKey(t: TestApi, tenant: string): Promise<Record<string, string>> {
  return bearer((await t.engine.keys.create({ tenant, role: 'operator', createdBy: 'test' })).token);
}

const train = (t: TestApi, tenant: string, headers: Record<string, string>) => t.app.inject({ method: 'POST', url: `/api/tenants/${tenant}/models/failure/train`, headers, payload: {} });
const predict = (t: TestApi, tenant: string, headers: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: `/api/tenants/${tenant}/models/failure/predict`, headers, payload: { values: { x: 1 } } });

for (const target of await storeTargets()) {
  describe(`rate limits (${target.name})`, { skip: target.skip }, () => {
    test('a tenant past its training budget gets 429 with Retry-After; other classes and tenants keep theirs; the next window opens', async () => {
      const t = await openTestApi({ target: await target.make(), auth: authSettings({ rateLimits: LIMITS }) });
      try {
        const acme = await operatorKey(t, 'acme');
        const globex = await operatorKey(t, 'globex');
        // Within budget the route runs (its own answer: no model is declared here).
        for (let i = 0; i < LIMITS.train; i++) {
          const within = await train(t, 'acme', acme);
          assert.notEqual(within.statusCode, 429);
          // Each counted answer says the budget, what is left of it and when the window ends.
          assert.deepEqual([within.headers['x-ratelimit-limit'], within.headers['x-ratelimit-remaining'], within.headers['x-ratelimit-reset']], [String(LIMITS.train), String(LIMITS.train - i - 1), '60']);
        }
        const before = await storeSnapshot(t.engine);
        const over = await train(t, 'acme', acme);
        const error = assertError(over, { status: 429, code: 'NS_RATE_LIMITED', message: /tenant "acme" has used its 2 train requests for this window; retry in 1m/ });
        assert.equal(over.headers['retry-after'], '60');
        assert.equal(over.headers['x-ratelimit-remaining'], '0');
        assert.equal(error.details?.retryAfterSeconds, 60);
        assert.deepEqual(await storeSnapshot(t.engine), before, 'a limited request changes nothing');
        // Predict is a separate budget; globex has its own.
        assert.notEqual((await predict(t, 'acme', acme)).statusCode, 429);
        assert.notEqual((await train(t, 'globex', globex)).statusCode, 429);
        // 30 s later the window still holds, and Retry-After counts down.
        t.clock.advance(30_000);
        assert.equal((await train(t, 'acme', acme)).headers['retry-after'], '30');
        t.clock.advance(30_000);
        assert.notEqual((await train(t, 'acme', acme)).statusCode, 429, 'a new window');
      } finally {
        await t.close();
      }
    });

    test('the budget is per tenant, whoever calls: two credentials of one tenant share it', async () => {
      const t = await openTestApi({ target: await target.make(), auth: authSettings({ rateLimits: LIMITS }) });
      try {
        const a = await operatorKey(t, 'acme');
        const b = await operatorKey(t, 'acme');
        for (let i = 0; i < LIMITS.predict; i++) assert.notEqual((await predict(t, 'acme', i % 2 ? a : b)).statusCode, 429);
        assert.equal((await predict(t, 'acme', a)).statusCode, 429);
        assert.equal((await predict(t, 'acme', b)).statusCode, 429);
      } finally {
        await t.close();
      }
    });

    if (target.name === 'postgres') {
      test('two nodes on one PostgreSQL store share one budget', async () => {
        const shared = await target.make();
        const one = await openTestApi({ target: shared, auth: authSettings({ rateLimits: LIMITS }) });
        const two = await openTestApi({ target: { ...shared, dataDir: `${shared.dataDir}-2` }, auth: authSettings({ rateLimits: LIMITS }), clock: one.clock });
        try {
          const key = await operatorKey(one, 'acme');
          assert.notEqual((await train(one, 'acme', key)).statusCode, 429);
          assert.notEqual((await train(two, 'acme', key)).statusCode, 429);
          assertError(await train(one, 'acme', key), { status: 429, code: 'NS_RATE_LIMITED' });
          assertError(await train(two, 'acme', key), { status: 429, code: 'NS_RATE_LIMITED' });
        } finally {
          await two.close();
          await one.close();
        }
      });
    }
  });
}
