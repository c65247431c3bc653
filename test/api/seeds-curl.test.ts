/**
 * Each seed's own curl example, run with curl against a live `nightshift serve` whose config file
 * declares the tenant and the analysis and training jobs; the JSON that comes back has the seed's shape.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { againstServer, CURL_EXAMPLES, type CurlExample } from '../fixtures/seeds/curl-examples.ts';
import { freePort } from '../helpers/api.ts';

const exec = promisify(execFile);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The seed lines the examples are quoted from, committed (test/fixtures/seeds/excerpts), so the check never depends on ../shared. */
const EXCERPTS_DIR = join(import.meta.dirname, '..', 'fixtures', 'seeds', 'excerpts');
/** The seed documents themselves, where a checkout has them beside it. */
const SEEDS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds');


const metric = (name: string, value: number) => `console.log('::metric ${name}=${value}')`;

function writeConfig(dir: string): string {
  const node = process.execPath;
  const path = join(dir, 'nightshift.json');
  writeFileSync(
    path,
    JSON.stringify({
      tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }],
      jobs: [
        {
          id: 'daily-analysis',
          kind: 'pipeline',
          role: 'analysis',
          steps: [
            { name: 'fetch', command: node, args: ['-e', metric('events_count', 45230)] },
            { name: 'detect', command: node, args: ['-e', metric('patterns_detected', 28)] },
            { name: 'suggest', command: node, args: ['-e', `${metric('suggestions_generated', 10)};${metric('openai_cost_usd', 0.0025)}`] },
          ],
        },
        { id: 'train', kind: 'command', role: 'training', command: node, args: ['-e', `${metric('accuracy', 0.91)};${metric('samples', 1200)}`], retry: { retries: 3, backoff: ['5m', '15m', '45m'] } },
      ],
    }),
  );
  return path;
}

describe("the seeds' curl examples against a live server", () => {
  let server: ServeProcess;
  let origin: string;
  const curl = async (example: CurlExample) => {
    const { stdout } = await exec('sh', ['-c', againstServer(example, origin)]);
    return JSON.parse(stdout) as Record<string, unknown> & Array<Record<string, unknown>>;
  };
  const succeeded = (runId: unknown) => server.waitForLog((l) => l.msg === 'run succeeded' && l.runId === runId, 30_000);

  before(async () => {
    const dir = tempDir();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = new ServeProcess({
      NIGHTSHIFT_CONFIG: writeConfig(dir),
      NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
      NIGHTSHIFT_HOST: '127.0.0.1',
      NIGHTSHIFT_PORT: String(port),
      NIGHTSHIFT_POLL: '200ms',
      NIGHTSHIFT_LOG_LEVEL: 'info',
      // The examples' placeholder tokens are not keys of this store (the access matrix calls these routes with real ones).
      NIGHTSHIFT_AUTH: 'off',
    });
    await server.waitForLog((l) => l.msg === 'HTTP API listening');
  });

  after(async () => {
    assert.equal((await server.stop('SIGTERM')).code, 0);
  });

  test('the examples are quoted verbatim from the seed documents (their committed excerpts, and the documents where present)', () => {
    const quoted = Object.values(CURL_EXAMPLES).filter((e) => e.file !== null);
    assert.equal(quoted.length, 6);
    for (const example of quoted) {
      const excerpt = readFileSync(join(EXCERPTS_DIR, example.file!), 'utf8');
      assert.ok(excerpt.includes(example.command), `${example.file}: ${example.command}`);
      // The excerpt is a verbatim slice of its document.
      if (existsSync(SEEDS_DIR)) assert.ok(readFileSync(join(SEEDS_DIR, example.file!), 'utf8').includes(excerpt), `${example.file}: the excerpt is not in the document`);
    }
  });

  test('seed 001: view the schedule, trigger, then the recent jobs with their counts', { timeout: 60_000 }, async () => {
    const schedule = await curl(CURL_EXAMPLES.analysisSchedule);
    assert.deepEqual(Object.keys(schedule).sort(), ['is_running', 'next_run', 'recent_jobs', 'schedule']);
    assert.equal(schedule.schedule, '0 3 * * *', 'ANALYSIS_SCHEDULE default');
    assert.match(String(schedule.next_run), ISO);
    assert.equal(schedule.is_running, false);
    assert.deepEqual(schedule.recent_jobs, []);

    const trigger = await curl(CURL_EXAMPLES.analysisTrigger);
    assert.equal(trigger.success, true);
    assert.equal(trigger.message, 'Analysis job triggered successfully');
    assert.equal(trigger.status, 'running_in_background');
    assert.equal(trigger.next_scheduled_run, schedule.next_run);
    await succeeded(trigger.run_id);

    const recent = await curl(CURL_EXAMPLES.analysisRecentJobs);
    assert.ok(Array.isArray(recent));
    assert.equal(recent.length, 1);
    const last = await curl(CURL_EXAMPLES.analysisLastJob);
    assert.deepEqual(last, recent[0]);
    assert.match(String(last.start_time), ISO);
    assert.equal(last.status, 'success');
    assert.equal(typeof last.duration_seconds, 'number');
    assert.equal(last.events_count, 45230);
    assert.equal(last.patterns_detected, 28);
    assert.equal(last.suggestions_generated, 10);
    assert.equal(last.openai_cost_usd, 0.0025);
  });

  test("seed 003: configure the organization's schedule", async () => {
    const body = await curl(CURL_EXAMPLES.trainingSchedule);
    assert.deepEqual(body.schedule, { pattern: '0 2 * * 0', timezone: 'UTC', enabled: true });
    assert.equal(body.retryAttempts, 3);
    assert.equal(body.organizationId, 'acme');
    assert.equal(body.scheduleId, 'acme.train', 'the ML_TRAINING_SCHEDULE schedule, now weekly');
    assert.equal((body.nextRuns as string[]).length, 5);
  });

  test('seed 004: trigger the retrain job now; seed 000: its status, then train now', { timeout: 60_000 }, async () => {
    const retrain = await curl(CURL_EXAMPLES.triggerRetrain);
    assert.equal(retrain.status, 'triggered');
    assert.equal(retrain.user_id, 'acme');
    assert.equal(retrain.job_id, 'train');
    assert.match(String(retrain.queued_at), ISO);
    await succeeded(retrain.run_id);

    const status = await curl(CURL_EXAMPLES.trainStatus);
    assert.equal(status.status, 'idle');
    assert.equal(status.schedule, '0 2 * * 0');
    assert.match(String(status.last_training_time), ISO);
    assert.equal(status.last_training_status, 'success');
    assert.deepEqual((status.last_training_result as { metrics: unknown }).metrics, { accuracy: 0.91, samples: 1200 });
    assert.match(String(status.next_run), ISO);
    assert.equal(new Date(String(status.next_run)).getUTCDay(), 0);

    const now = await curl(CURL_EXAMPLES.trainNow);
    assert.equal(now.success, true);
    assert.equal(now.status, 'queued');
    assert.match(String(now.estimated_completion), ISO, 'one training in the history gives an estimate');
    await succeeded(now.run_id);
  });
});
