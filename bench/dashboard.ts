/**
 * Dashboard benchmark (`npm run bench -- dashboard`): with 100,000 runs, 1,000 models and 10,000
 * slot records stored (bench/dashboard/seed.ts), how long each page's first view takes in
 * Chromium (playwright-core, /usr/bin/chromium) against a real server over that store: from the
 * navigation's start (a fresh browser context: no cache) until the page shows its data, as the
 * page itself measures it (performance.now()). Five views per page; the median is judged against
 * the 1 s, the slowest is reported beside it; a page that reads no data gives the floor
 * (bundle, context, render) each page is compared with. Authentication is on, as it is by default:
 * each view is signed in with a super admin's API key (in the tab's sessionStorage before the page
 * loads), so every request pays the key check a user's does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadSettings } from '../src/config/load-settings.ts';
import { Engine } from '../src/engine.ts';
import { ServeProcess } from '../test/helpers/serve-process.ts';
import { progress } from './api/progress.ts';
import { seedDashboardStore } from './dashboard/seed.ts';
import { result, type BenchResult } from './lib/results.ts';
import { summarize } from './lib/stats.ts';

const VIEWS = 5;
const TARGET_MS = 1000;

/** Holds once the page shows its data: every selector matches at least `min` elements (default 1), every text is on the page. */
interface Ready {
  selectors?: Array<[selector: string, min: number]>;
  texts?: string[];
}

interface PageCase {
  name: string;
  hash: string;
  ready: Ready;
}

const rows = (n: number): [string, number] => ['main tbody tr', n];

/**
 * Checked in the page as a function, not a string: the dashboard's CSP (script-src 'self') refuses
 * the eval a string predicate needs, as it would any injected script.
 */
function shown(ready: Ready): boolean {
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number }; body: { innerText: string } } }).document;
  return (ready.selectors ?? []).every(([s, min]) => doc.querySelectorAll(s).length >= min) && (ready.texts ?? []).every((t) => doc.body.innerText.includes(t));
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-dashboard-'));
  const env = { NIGHTSHIFT_DATA_DIR: join(dir, 'data'), ML_TRAINING_ENABLED: 'false' };
  // Seeded with the store's own statements through an engine of this process, closed before the service starts.
  const seeder = await Engine.open({ settings: loadSettings({ env: { ...env, NIGHTSHIFT_LOG_LEVEL: 'silent' } }) });
  const t0 = Date.now();
  progress('dashboard: seeding 1,000 models, 100,000 runs, 10,000 slots, 10,000 decisions, 5,000 alerts, 20,000 notifications and 50,000 audit entries');
  const sample = await seedDashboardStore(seeder, Date.now());
  const { token } = await seeder.keys.create({ tenant: '*', role: 'super_admin', name: 'dashboard bench', createdBy: 'bench' });
  await seeder.close(1_000);
  progress(`dashboard: seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The service as users run it: the build (dist/main.js serve, engine started, dashboard from dist/ui) in a
  // process of its own, not sharing an event loop or a heap with this process's playwright client.
  const serve = new ServeProcess({ ...env, NIGHTSHIFT_HOST: '127.0.0.1', NIGHTSHIFT_PORT: '0', NIGHTSHIFT_LOG_LEVEL: 'info' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const base = String((await serve.waitForLog((l) => l.msg === 'HTTP API listening', 120_000)).address);
    const pages: PageCase[] = [
      // The floor: a page that reads nothing from the API (the bundle fetched, parsed and rendered in a fresh context).
      { name: 'no_data', hash: '#/no-such-page', ready: { texts: ['No page at'] } },
      { name: 'overview', hash: '#/overview', ready: { selectors: [rows(25), ['#health-h', 1], ['#alerts-h + ul li', 1]] } },
      { name: 'schedules', hash: '#/schedules', ready: { selectors: [rows(50)] } },
      { name: 'schedule_detail', hash: `#/schedules/${sample.scheduleId}`, ready: { selectors: [['main .timeline .tick', 10], ['main time', 15]] } },
      { name: 'runs', hash: '#/runs', ready: { selectors: [rows(50)] } },
      { name: 'run_detail', hash: `#/runs/${sample.runId}`, ready: { selectors: [['pre.log', 1]], texts: [sample.runId] } },
      { name: 'models', hash: '#/models', ready: { selectors: [rows(50)] } },
      { name: 'model_detail', hash: `#/models/${sample.tenantId}/${sample.model}`, ready: { selectors: [['main .chart canvas', 1]], texts: ['promote v1 → v2'] } },
      { name: 'decisions', hash: '#/decisions', ready: { selectors: [['main .decisions > li', 10]] } },
      { name: 'alerts', hash: '#/alerts', ready: { selectors: [rows(50)] } },
      { name: 'notifications', hash: '#/notifications', ready: { selectors: [rows(50)] } },
      { name: 'audit', hash: '#/audit', ready: { selectors: [rows(50)] } },
    ];
    const results: BenchResult[] = [];
    for (const p of pages) {
      const times: number[] = [];
      for (let i = 0; i < VIEWS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addInitScript((t) => sessionStorage.setItem('nightshift.token', t), token);
        const page: Page = await context.newPage();
        await page.goto(`${base}/${p.hash}`);
        await page.waitForFunction(shown, p.ready, { timeout: 30_000, polling: 'raf' });
        times.push(await page.evaluate(() => performance.now()));
        await context.close();
      }
      progress(`dashboard: ${p.name}: ${times.map((t) => Math.round(t)).join(', ')} ms`);
      const floor = results.find((r) => r.name === 'page.no_data.first_view')?.value;
      results.push(
        result({ name: `page.${p.name}.first_view`, value: summarize(times).p50, unit: 'ms', target: p.name === 'no_data' ? null : TARGET_MS, better: 'lower', ...(floor !== undefined && p.name !== 'no_data' ? { peer: 'no_data page', peerValue: floor } : {}) }),
        result({ name: `page.${p.name}.first_view.slowest`, value: Math.max(...times), unit: 'ms', target: null, better: 'lower' }),
      );
    }
    return results;
  } finally {
    await browser.close();
    await serve.stop('SIGTERM');
  }
}
