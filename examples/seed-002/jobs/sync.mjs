// Seed 002's data jobs, simulated: `sync.mjs jira` pulls the work items completed since the last
// sync (and their cycle times), `sync.mjs github` the merged pull requests. The rows are generated
// deterministically per tenant and run, with a learnable relation to their labels, and loaded with
// `nightshift ingest` into the tenant's datasets (the same store the service uses: its environment
// is inherited). SYNC_ROWS sets how many rows one sync brings (default 80 items, 60 PRs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const source = process.argv[2];
const tenant = process.env.NIGHTSHIFT_TENANT_ID ?? 'tenant_1';
const runId = process.env.NIGHTSHIFT_RUN_ID ?? 'manual';
const root = join(import.meta.dirname, '..', '..', '..');
const config = join(import.meta.dirname, '..', 'nightshift.yaml');

let seed = [...`${tenant}:${runId}:${source}`].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const now = Date.now();
// Completed during the last hour, in order.
const at = (i, n) => new Date(now - 3_600_000 + Math.floor(((i + 1) / n) * 3_599_000)).toISOString();

function workItems(n) {
  const items = [];
  const cycles = [];
  for (let i = 0; i < n; i++) {
    const component = pick(['api', 'ui', 'data', 'infra']);
    const words = Math.round(20 + random() * 300);
    const subtasks = Math.floor(random() * 6);
    const links = Math.floor(random() * 4);
    const points = Math.max(1, Math.round(1 + words / 60 + subtasks * 0.8 + (component === 'infra' ? 2 : 0) + 0.6 * gauss()));
    const reviewers = 1 + Math.floor(random() * 3);
    const lead = Math.max(0.5, 0.8 * points + 0.5 * subtasks + reviewers * 0.4 + (component === 'data' ? 1.5 : 0) + 0.8 * gauss());
    const project = `proj-${1 + Math.floor(random() * 3)}`;
    items.push([project, at(i, n), words, subtasks, links, component, points]);
    cycles.push([project, at(i, n), points, subtasks, reviewers, component, lead.toFixed(2)]);
  }
  return [
    { dataset: 'work_items', header: 'project,completed_at,description_words,subtasks,links,component,story_points', rows: items },
    { dataset: 'cycle_times', header: 'project,completed_at,story_points,subtasks,reviewers,component,lead_time_days', rows: cycles },
  ];
}

function pullRequests(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const lines = Math.round(Math.exp(2 + random() * 6));
    const files = 1 + Math.floor(lines / 40 + random() * 5);
    const comments = Math.floor(random() * 12);
    const tenure = Math.round(random() * 1500);
    const z = 0.0012 * lines + 0.15 * comments - 0.002 * tenure - 1.2 + 0.5 * gauss();
    rows.push([`repo-${1 + Math.floor(random() * 2)}`, at(i, n), lines, files, comments, tenure, z > 0 ? 1 : 0]);
  }
  return [{ dataset: 'pull_requests', header: 'repository,merged_at,lines_changed,files,review_comments,author_tenure_days,reworked', rows }];
}

const batches = source === 'jira' ? workItems(Number(process.env.SYNC_ROWS ?? 80)) : source === 'github' ? pullRequests(Number(process.env.SYNC_ROWS ?? 60)) : null;
if (!batches) {
  console.error(`sync.mjs: unknown source "${source}"; use jira or github`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'seed-002-sync-'));
try {
  for (const { dataset, header, rows } of batches) {
    const file = join(dir, `${dataset}.csv`);
    writeFileSync(file, `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const cli = spawnSync(process.execPath, [join(root, 'bin', 'nightshift.js'), '--config', config, 'ingest', file, '--dataset', dataset, '--tenant', tenant], { encoding: 'utf8', env: process.env });
    if (cli.status !== 0) {
      console.error(`sync.mjs: ingest into ${dataset} failed: ${cli.stderr.trim().split('\n').at(-1)}`);
      // The store may be busy for a moment: a transient failure, retried with backoff.
      process.exit(cli.status === 1 ? 75 : 1);
    }
    console.log(`::metric ${dataset}_rows=${rows.length}`);
  }
  console.log(`synced ${batches.map((b) => `${b.rows.length} ${b.dataset}`).join(', ')} for ${tenant}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
