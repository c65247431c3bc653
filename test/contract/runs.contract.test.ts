/** Run-queue contract: leases, single-flight, retries, cancel, recovery — on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RunEndBatch } from '../../src/store/run-end-batch.ts';
import { RunPidBatch } from '../../src/store/run-pid-batch.ts';
import { groupCommitOf, inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { claimRuns, finishRun, heartbeat, recoverExpiredLeases } from '../../src/store/run-transitions.ts';
import { cursorOf, getRunRow, listAttempts, listRunSummaries, listRuns, RUN_SUMMARY_COLUMNS } from '../../src/store/runs.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { MINUTE, openTestEngine } from '../helpers/engine.ts';
import { commandJob, emptyJob, pipelineJob, schedule, tempDir } from '../helpers/settings.ts';

const node = process.execPath;
const FIX = join(import.meta.dirname, '..', 'fixtures', 'jobs');
const quick = commandJob('quick', node, ['-e', 'console.log("::metric rows=7")']);

for (const target of await storeTargets()) {
  describe(`run queue contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('claims respect single-flight per (tenant, job) and the concurrency limit', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick, commandJob('other', node, ['-e', '0'])] });
      try {
        await t.engine.runs.trigger('quick', 'acme');
        await t.engine.runs.trigger('quick', 'globex');
        await t.engine.runs.trigger('other', 'acme');
        const claim = (limit: number) =>
          inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'w1', host: 'h', now: t.clock.now(), leaseMs: 30_000, limit }), { lock: LOCK_KEYS.claim });
        assert.equal((await claim(1)).length, 1, 'the limit caps a claim round');
        const first = [...(await claim(10))];
        assert.equal(first.length, 2);
        const queuedBehind = await t.engine.runs.trigger('quick', 'acme', { mode: 'queue' });
        await t.engine.runs.trigger('quick', 'globex', { mode: 'queue' });
        await assert.rejects(t.engine.runs.trigger('quick', 'acme', { mode: 'queue' }), { code: 'NS_CONFLICT' }, 'at most one run waits behind a running one');
        assert.equal((await claim(10)).length, 0, 'both are running, so their queued twins wait');
        const running = await listRuns(t.engine.db.k, 'acme', { jobId: 'quick', status: ['running'] });
        await inTransaction(t.engine.db, (x) => finishRun(x, 'acme', running[0]!.id, 'w1', t.clock.now(), { status: 'succeeded' }));
        const next = await claim(1);
        assert.equal(next.length, 1);
        assert.equal(next[0]!.id, queuedBehind.id);
      } finally {
        await t.close();
      }
    });

    test('a manual trigger while a run is in flight is refused with that run id, unless queued', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick] });
      try {
        const first = await t.engine.runs.trigger('quick', 'acme');
        await assert.rejects(t.engine.runs.trigger('quick', 'acme'), (e: { code: string; details: { runId: string } }) => e.code === 'NS_CONFLICT' && e.details.runId === first.id);
        await assert.rejects(t.engine.runs.trigger('missing', 'acme'), { code: 'NS_NOT_FOUND' });
        await assert.rejects(t.engine.runs.trigger('quick', 'nobody'), { code: 'NS_NOT_FOUND' });
      } finally {
        await t.close();
      }
    });

    test('concurrent manual triggers (a double click) queue exactly one run; the rest get 409 naming it', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick] });
      try {
        const results = await Promise.allSettled(Array.from({ length: 6 }, () => t.engine.runs.trigger('quick', 'acme')));
        const ok = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(ok.length, 1, 'one trigger wins');
        for (const r of refused) assert.equal((r.reason as { code: string }).code, 'NS_CONFLICT');
        assert.equal((await listRuns(t.engine.db.k, ALL_TENANTS, { jobId: 'quick' })).length, 1, 'exactly one run stored');
      } finally {
        await t.close();
      }
    });

    test('every transition checks the lease owner: a lost lease is a typed error', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick] });
      try {
        const run = await t.engine.runs.trigger('quick', 'acme');
        const [claimed] = await inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'w1', host: 'h', now: t.clock.now(), leaseMs: 1_000, limit: 1 }));
        assert.equal(claimed!.id, run.id);
        await assert.rejects(heartbeat(t.engine.db.k, 'acme', run.id, 'intruder', t.clock.now(), 1_000), { code: 'NS_LEASE_LOST' });
        await assert.rejects(inTransaction(t.engine.db, (x) => finishRun(x, 'acme', run.id, 'intruder', t.clock.now(), { status: 'succeeded' })), { code: 'NS_LEASE_LOST' });
        t.clock.advance(5_000);
        const recovered = await inTransaction(t.engine.db, (x) => recoverExpiredLeases(x, ALL_TENANTS, { now: t.clock.now(), maxRecoveries: 0 }));
        assert.deepEqual(recovered.map((r) => r.requeued), [false], 'no recovery allowed: the run fails instead of looping');
        const failed = await getRunRow(t.engine.db.k, 'acme', run.id);
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.error_code, 'NS_LEASE_LOST');
        await assert.rejects(heartbeat(t.engine.db.k, 'acme', run.id, 'w1', t.clock.now(), 1_000), { code: 'NS_LEASE_LOST' });
      } finally {
        await t.close();
      }
    });

    test('an expired lease is recovered and the run retried by another worker', async () => {
      const job = commandJob('quick', node, ['-e', '0'], { retry: { retries: 2, backoffMs: [MINUTE], jitterRatio: 0 } });
      const t = await openTestEngine(await target.make(), { jobs: [job] });
      try {
        const run = await t.engine.runs.trigger('quick', 'acme');
        await inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'crashed', host: 'elsewhere', now: t.clock.now(), leaseMs: 1_000, limit: 1 }));
        t.clock.advance(2_000);
        assert.equal(await t.engine.workers.recoverLeases(true), 1);
        const row = await getRunRow(t.engine.db.k, 'acme', run.id);
        assert.equal(row?.status, 'queued');
        assert.match(row?.reason ?? '', /lease of crashed expired/);
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        t.engine.workers.lifecycle.to('running');
        await t.engine.workers.claimAndStart();
        const { run: finished } = await done;
        assert.equal(finished.status, 'succeeded');
        assert.equal(finished.attempt, 2);
        const attempts = await listAttempts(t.engine.db.k, 'acme', run.id);
        assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.worker]), [[1, 'lost', 'crashed'], [2, 'succeeded', t.engine.settings.nodeId]]);
      } finally {
        await t.close();
      }
    });

    test('transient failures retry with backoff; permanent ones fail at once with the reason', async () => {
      const dir = tempDir();
      const flaky = commandJob('flaky', node, [join(FIX, 'flaky.mjs'), join(dir, 'count'), '3'], { retry: { retries: 2, backoffMs: [5 * MINUTE, 15 * MINUTE], jitterRatio: 0 } });
      const broken = commandJob('broken', node, ['-e', 'console.error("bad input: column x missing"); process.exit(2)'], { retry: { retries: 2, backoffMs: [MINUTE], jitterRatio: 0 } });
      const t = await openTestEngine(await target.make(), { jobs: [flaky, broken] });
      try {
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('flaky', 'acme');
        const bad = await t.engine.runs.trigger('broken', 'acme');
        const retry1 = t.engine.events.waitFor('run:retry', (p) => p.run.id === run.id);
        const badDone = t.engine.events.waitFor('run:finished', (p) => p.run.id === bad.id);
        await t.engine.workers.claimAndStart();
        assert.equal((await retry1).delayMs, 5 * MINUTE);
        const badRun = (await badDone).run;
        assert.equal(badRun.status, 'failed');
        assert.equal(badRun.attempt, 1, 'a permanent failure is not retried');
        assert.match(badRun.error_message ?? '', /exit code 2|exited with 2|code 2/);
        assert.match(badRun.error_message ?? '', /column x missing/);
        assert.equal(await t.engine.workers.claimAndStart(), 0, 'not due before its backoff');
        t.clock.advance(5 * MINUTE);
        const retry2 = t.engine.events.waitFor('run:retry', (p) => p.run.id === run.id);
        await t.engine.workers.claimAndStart();
        assert.equal((await retry2).delayMs, 15 * MINUTE);
        t.clock.advance(15 * MINUTE);
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        await t.engine.workers.claimAndStart();
        const finished = (await done).run;
        assert.equal(finished.status, 'succeeded');
        assert.equal(finished.attempt, 3);
        assert.deepEqual(JSON.parse(finished.metrics ?? '{}'), { calls: 3 });
        assert.equal(readFileSync(join(dir, 'count'), 'utf8'), '3');
      } finally {
        await t.close();
      }
    });

    test('cancel: a queued run ends at once; a running one is stopped; ended ones conflict', async () => {
      const slow = commandJob('slow', node, ['-e', 'setTimeout(() => {}, 60000)']);
      const t = await openTestEngine(await target.make(), { jobs: [slow, quick] });
      try {
        const queued = await t.engine.runs.trigger('quick', 'acme', { at: t.clock.now() + MINUTE });
        assert.equal(await t.engine.runs.cancel('acme', queued.id), 'cancelled');
        await assert.rejects(t.engine.runs.cancel('acme', queued.id), { code: 'NS_CONFLICT' });
        await assert.rejects(t.engine.runs.cancel(ALL_TENANTS, 'run_nope'), { code: 'NS_NOT_FOUND' });
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('slow', 'acme');
        const spawned = t.engine.events.waitFor('run:spawned', (p) => p.runId === run.id);
        await t.engine.workers.claimAndStart();
        await spawned;
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        assert.equal(await t.engine.runs.cancel('acme', run.id), 'requested');
        const finished = (await done).run;
        assert.equal(finished.status, 'cancelled');
        assert.equal(finished.exit_signal, 'SIGTERM');
      } finally {
        await t.close();
      }
    });

    test('a run past its timeout is killed and marked timed_out', async () => {
      // The deadline passes on the manual clock only once the child says its SIGTERM handler is in
      // place: on a loaded machine a node child can take longer to start than any real-time timeout,
      // and one that dies of the SIGTERM before ignoring it would prove nothing about SIGKILL. The
      // short heartbeat is how soon the worker notices the moved clock (its deadline check).
      const slow = commandJob('slow', node, ['-e', 'process.on("SIGTERM", () => {}); console.log("ignoring SIGTERM"); setInterval(() => {}, 1000)'], { timeoutMs: MINUTE });
      const t = await openTestEngine(await target.make(), { jobs: [slow], killGraceMs: 200, heartbeatMs: 20 });
      try {
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('slow', 'acme');
        const ready = t.engine.events.waitFor('run:line', (p) => p.runId === run.id && p.line === 'ignoring SIGTERM');
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        await t.engine.workers.claimAndStart();
        await ready;
        t.clock.advance(MINUTE);
        const finished = (await done).run;
        assert.equal(finished.status, 'timed_out');
        assert.equal(finished.error_code, 'NS_JOB_TIMEOUT');
        assert.equal(finished.exit_signal, 'SIGKILL', 'SIGTERM was ignored, so SIGKILL followed after the grace');
      } finally {
        await t.close();
      }
    });

    test('dependencies: a downstream job runs after its upstream succeeds, never after a failure', async () => {
      const etl = commandJob('etl', node, ['-e', 'process.exit(Number(process.env.FAIL ?? 0))']);
      const train = commandJob('train', node, ['-e', '0'], { after: ['etl'] });
      const t = await openTestEngine(await target.make(), { jobs: [etl, train] });
      try {
        t.engine.workers.lifecycle.to('running');
        const up = await t.engine.runs.trigger('etl', 'acme');
        const downQueued = t.engine.events.waitFor('run:queued', (p) => p.run.job_id === 'train');
        await t.engine.workers.claimAndStart();
        const { run: down } = await downQueued;
        assert.equal(down.trigger, 'dependency');
        assert.equal(down.parent_run_id, up.id);
        assert.equal(down.tenant_id, 'acme');
        const downDone = t.engine.events.waitFor('run:finished', (p) => p.run.id === down.id);
        await t.engine.workers.claimAndStart();
        assert.equal((await downDone).run.status, 'succeeded');
      } finally {
        await t.close();
      }
    });

    test('pipelines record each step and may end early with a named outcome', async () => {
      const dir = tempDir();
      const etl = pipelineJob('etl', [
        { name: 'fetch', command: node, args: ['-e', 'console.log("::metric events=0"); process.exit(3)'], outcomes: { '3': 'no_data' } },
        { name: 'store', command: node, args: ['-e', `require("fs").writeFileSync(${JSON.stringify(join(dir, 'stored'))}, "x")`] },
      ]);
      const t = await openTestEngine(await target.make(), { jobs: [etl] });
      try {
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('etl', 'acme');
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        await t.engine.workers.claimAndStart();
        const finished = (await done).run;
        assert.equal(finished.status, 'succeeded');
        assert.equal(finished.outcome, 'no_data');
        assert.match(finished.reason ?? '', /no_data/);
        const steps = JSON.parse(finished.steps ?? '[]') as Array<{ name: string }>;
        assert.deepEqual(steps.map((s) => s.name), ['fetch']);
        assert.throws(() => readFileSync(join(dir, 'stored')), /ENOENT/);
      } finally {
        await t.close();
      }
    });

    test('jobs run at a lower CPU priority than nightshift (niceness), so the API keeps its CPU', async () => {
      const nice = commandJob('nice', node, ['-e', 'console.log("::metric nice=" + require("os").getPriority())']);
      const t = await openTestEngine(await target.make(), { jobs: [nice], jobNiceness: 7 });
      try {
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('nice', 'acme');
        const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        await t.engine.workers.claimAndStart();
        const finished = (await done).run;
        const own = (await import('node:os')).getPriority(0);
        assert.deepEqual(JSON.parse(finished.metrics ?? '{}'), { nice: Math.min(19, own + 7) });
      } finally {
        await t.close();
      }
    });

    /** Three command runs, triggered and claimed together by `owner`. */
    const threeClaimedBy = async (owner: string) => {
      const jobs = ['a', 'b', 'c'].map((id) => commandJob(id, node, ['-e', '0']));
      const t = await openTestEngine(await target.make(), { jobs });
      for (const job of jobs) await t.engine.runs.trigger(job.id, 'acme');
      const claimed = await inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner, host: 'h', now: t.clock.now(), leaseMs: 30_000, limit: 3 }), { lock: LOCK_KEYS.claim });
      assert.equal(claimed.length, 3);
      return { t, claimed };
    };

    test('runs ending together are recorded in one transaction; one whose lease is gone is refused alone', async () => {
      const { t, claimed } = await threeClaimedBy('w1');
      try {
        t.clock.advance(1_500);
        const now = t.clock.now();
        const ends = new RunEndBatch(t.engine.db);
        const before = t.engine.db.dialect === 'sqlite' ? groupCommitOf(t.engine.db.k).stats().transactions : 0;
        const [ok, failed, stolen] = claimed;
        const settled = await Promise.allSettled([
          ends.finish({ tenantId: 'acme', runId: ok!.id, owner: 'w1', now, outcome: { status: 'succeeded', exitCode: 0, metrics: { rows: 7 }, logTail: 'done\n' } }),
          ends.finish({ tenantId: 'acme', runId: failed!.id, owner: 'w1', now, outcome: { status: 'failed', exitCode: 3, errorCode: 'NS_JOB_FAILED', errorMessage: 'exit 3' } }),
          ends.finish({ tenantId: 'acme', runId: stolen!.id, owner: 'intruder', now, outcome: { status: 'succeeded' } }),
        ]);
        if (t.engine.db.dialect === 'sqlite') assert.equal(groupCommitOf(t.engine.db.k).stats().transactions - before, 1, 'the three ends share one transaction');
        assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
        assert.equal((settled[2] as PromiseRejectedResult).reason.code, 'NS_LEASE_LOST');
        const [first, second] = settled.map((r) => (r.status === 'fulfilled' ? r.value : null));
        assert.equal(first?.id, ok!.id);
        assert.equal(first?.status, 'succeeded');
        assert.equal(first?.duration_ms, 1_500);
        assert.deepEqual(JSON.parse(first?.metrics ?? 'null'), { rows: 7 });
        assert.equal(first?.log_tail, 'done\n');
        assert.equal(first?.lease_owner, null);
        assert.equal(second?.status, 'failed');
        assert.equal(second?.exit_code, 3);
        assert.equal(second?.error_message, 'exit 3');
        assert.equal((await getRunRow(t.engine.db.k, 'acme', stolen!.id))?.status, 'running', 'the refused end changed nothing');
        const attempts = await Promise.all(claimed.map((run) => listAttempts(t.engine.db.k, 'acme', run.id)));
        assert.deepEqual(attempts.map((a) => a.map((row) => [row.status, row.duration_ms, row.exit_code])), [[['succeeded', 1_500, 0]], [['failed', 1_500, 3]], [['running', null, null]]]);
      } finally {
        await t.close();
      }
    });

    test('pids of processes starting together are recorded in one statement; one whose lease is gone is refused alone', async () => {
      const { t, claimed } = await threeClaimedBy('w1');
      try {
        const pids = new RunPidBatch(t.engine.db);
        const before = t.engine.db.dialect === 'sqlite' ? groupCommitOf(t.engine.db.k).stats().transactions : 0;
        const now = t.clock.now() + 10;
        const settled = await Promise.allSettled(claimed.map((run, i) => pids.record({ tenantId: 'acme', runId: run.id, owner: i === 2 ? 'intruder' : 'w1', pid: 4000 + i, now })));
        if (t.engine.db.dialect === 'sqlite') assert.equal(groupCommitOf(t.engine.db.k).stats().transactions - before, 1, 'the three pids share one transaction');
        assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
        assert.equal((settled[2] as PromiseRejectedResult).reason.code, 'NS_LEASE_LOST');
        const rows = await Promise.all(claimed.map((run) => getRunRow(t.engine.db.k, 'acme', run.id)));
        assert.deepEqual(rows.map((r) => [r?.pid, r?.updated_at]), [[4000, now], [4001, now], [null, claimed[2]!.updated_at]]);
      } finally {
        await t.close();
      }
    });

    test('the runs a tick queues are claimed in its own transaction, up to the free places', async () => {
      const jobs = ['a', 'b', 'c'].map((id) => emptyJob(id));
      const t = await openTestEngine(await target.make(), { concurrency: 2, jobs, schedules: jobs.map((j) => schedule(`hourly-${j.id}`, j.id)) });
      try {
        t.engine.workers.lifecycle.to('running');
        t.engine.queue.attachClaimer(t.engine.workers);
        const claimed: string[] = [];
        t.engine.events.on('run:claimed', ({ run }) => claimed.push(run.id));
        const twoFinished = new Promise<void>((resolve) => {
          let n = 0;
          t.engine.events.on('run:finished', () => ++n === 2 && resolve());
        });
        t.clock.set('2026-03-01T01:00:00.100Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 3);
        assert.equal(claimed.length, 2, 'two places: two runs claimed by the tick itself, before it returned');
        const queued = tick.decided.map((d) => d.run!.id).filter((id) => !claimed.includes(id));
        await twoFinished;
        const rows = await listRuns(t.engine.db.k, ALL_TENANTS, {});
        assert.deepEqual(rows.filter((r) => r.status === 'queued').map((r) => r.id), queued, 'the third waits for a place');
        assert.deepEqual(rows.filter((r) => claimed.includes(r.id)).map((r) => [r.status, r.attempt]), [['succeeded', 1], ['succeeded', 1]]);
        assert.equal(await t.engine.workers.claimAndStart(), 1);
      } finally {
        await t.close();
      }
    });

    test('a claim whose transaction rolls back leaves its runs queued and gives its places back', async () => {
      const t = await openTestEngine(await target.make(), { concurrency: 1, jobs: [emptyJob('nightly')] });
      try {
        t.engine.workers.lifecycle.to('running');
        const run = await t.engine.runs.trigger('nightly', 'acme');
        let claim: Awaited<ReturnType<typeof t.engine.workers.claimIn>> | null = null;
        await assert.rejects(
          inTransaction(t.engine.db, async (x) => {
            claim = await t.engine.workers.claimIn(x);
            throw new Error('the rest of the transaction failed');
          }),
          /the rest of the transaction failed/,
        );
        assert.deepEqual(claim!.runs.map((r) => r.id), [run.id]);
        assert.equal(await t.engine.workers.claimAndStart(), 0, 'its place stays taken until the claim is given back');
        t.engine.workers.release(claim!);
        assert.equal((await getRunRow(t.engine.db.k, 'acme', run.id))?.status, 'queued', 'undone with its transaction');
        const finished = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
        assert.equal(await t.engine.workers.claimAndStart(), 1, 'its place is free again');
        assert.equal((await finished).run.status, 'succeeded');
      } finally {
        await t.close();
      }
    });

    test('history lists newest first with a stable cursor', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick] });
      try {
        for (let i = 0; i < 7; i++) {
          const run = await t.engine.runs.trigger('quick', 'acme', { mode: 'queue' }).catch(() => null);
          if (!run) {
            const [queued] = await listRuns(t.engine.db.k, 'acme', { status: ['queued'] });
            await t.engine.runs.cancel('acme', queued!.id);
            await t.engine.runs.trigger('quick', 'acme');
          }
        }
        const all = await listRuns(t.engine.db.k, ALL_TENANTS, { limit: 100 });
        const page1 = await listRuns(t.engine.db.k, ALL_TENANTS, { limit: 3 });
        const last = page1.at(-1)!;
        const page2 = await listRuns(t.engine.db.k, ALL_TENANTS, { limit: 100, after: cursorOf(last) });
        assert.deepEqual([...page1, ...page2].map((r) => r.id), all.map((r) => r.id));
        assert.equal(all.length, 7);
      } finally {
        await t.close();
      }
    });

    test('run summaries are the full rows cut to the summary columns, in the same order and pages', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick] });
      try {
        await t.engine.runs.trigger('quick', 'acme');
        await t.engine.runs.trigger('quick', 'globex');
        const [queued] = await listRuns(t.engine.db.k, 'acme', { status: ['queued'] });
        await t.engine.runs.cancel('acme', queued!.id);
        await t.engine.runs.trigger('quick', 'acme');
        for (const filter of [{ limit: 100 }, { limit: 2, sort: 'finished_at' as const, order: 'asc' as const }, { status: ['queued'] }]) {
          const full = await listRuns(t.engine.db.k, ALL_TENANTS, filter);
          const summaries = await listRunSummaries(t.engine.db.k, ALL_TENANTS, filter);
          assert.ok(full.length > 0);
          assert.deepEqual(summaries, full.map((r) => Object.fromEntries(RUN_SUMMARY_COLUMNS.map((c) => [c, r[c]]))), JSON.stringify(filter));
        }
        const [first] = await listRunSummaries(t.engine.db.k, 'acme', { limit: 1 });
        const rest = await listRunSummaries(t.engine.db.k, 'acme', { after: cursorOf(first!) });
        assert.deepEqual([first!, ...rest].map((r) => r.id), (await listRuns(t.engine.db.k, 'acme')).map((r) => r.id));
        assert.ok(!('log_tail' in first!), 'the log tail is read for one run only');
      } finally {
        await t.close();
      }
    });
  });
}
