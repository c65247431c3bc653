/**
 * The dashboard in Debian's Chromium against a real server over a seeded store (fixtures/
 * dashboard/seeded-server.ts): every page renders its real data at 1280 and 390 px with no
 * serious or critical axe-core violation (screenshots of each), and every action works end to end,
 * its effect checked through the API: enable/disable, a schedule edited with an invalid cron then
 * a valid one, run filters, cancel (while the log tail follows), re-trigger, train, rollback and
 * promote (the confirmation names both versions), a prediction, acknowledging an alert, sign-in
 * (a viewer key of one tenant sees none of the other's), and keyboard-only use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { assertNoSeriousAxeViolations, launchChromium, openPage, screenshot } from '../helpers/browser.ts';
import { openDashboardServer, type DashboardServer } from '../fixtures/dashboard/seeded-server.ts';

interface PageCase {
  name: string;
  hash: string | ((s: DashboardServer) => Promise<string>);
  /** Visible once the page shows its data. */
  ready: (page: Page) => Promise<void>;
}

const visible = async (page: Page, selector: string, text?: string | RegExp) => {
  const locator = text === undefined ? page.locator(selector) : page.locator(selector, { hasText: text });
  await locator.first().waitFor({ state: 'visible', timeout: 15_000 });
};

const PAGES: PageCase[] = [
  {
    name: 'overview',
    hash: '#/overview',
    ready: async (page) => {
      await visible(page, 'text=ready');
      await visible(page, 'tr', /acme\s*failure\s*v2 \(auc 0\.\d+\)/);
      await visible(page, 'tr', /globex\s*failure\s*v1/);
      await visible(page, 'td', /auc 0\.\d+ \(\d+ rows\)/);
      await visible(page, '#alerts-h + ul li', /NOTIFICATION_FAILING · acme · pager/);
      await visible(page, '#alerts-h + ul li', /NOTIFICATION_FAILING · globex · globex-pager/);
    },
  },
  {
    name: 'schedules',
    hash: '#/schedules',
    ready: async (page) => {
      await visible(page, 'td', 'at 02:00 every day (America/New_York)');
      await visible(page, 'td', 'at minute 0 past every hour (Europe/London)');
    },
  },
  {
    name: 'schedule-detail',
    hash: '#/schedules/globex.report.hourly',
    ready: async (page) => {
      await visible(page, 'th', 'In Europe/London');
      await visible(page, 'td', 'late by 1 min 35 s');
      await visible(page, 'td', 'beyond the misfire grace of 1 h (the service was down)');
    },
  },
  {
    name: 'runs',
    hash: '#/runs',
    ready: async (page) => visible(page, 'td', 'acme · train-failure'),
  },
  {
    name: 'run-detail',
    hash: async (s) => {
      const { body } = await s.call<{ runs: Array<{ id: string }> }>('GET', '/api/runs?jobId=train-failure&tenantId=acme&status=succeeded&limit=1');
      return `#/runs/${body.runs[0]!.id}`;
    },
    ready: async (page) => {
      await visible(page, 'h2', 'Stages');
      await visible(page, 'th', 'evaluate');
      await visible(page, 'h2', 'Retrain decision');
      await visible(page, 'pre.log', /register/);
    },
  },
  {
    name: 'models',
    hash: '#/models',
    ready: async (page) => visible(page, 'td', 'failure_acme_v2'),
  },
  {
    name: 'model-detail',
    hash: '#/models/acme/failure',
    ready: async (page) => {
      await visible(page, 'li', /auc 0\.\d+ ≥ 0\.7/);
      await visible(page, 'td', /promote v1 → v2/);
      await page.locator('.chart canvas').nth(2).waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'decisions',
    hash: '#/decisions',
    ready: async (page) => {
      await visible(page, 'p', /no training needed: minNewSamples ok \(10 vs 50\)/);
      await visible(page, 'td', '≥ 50 samples');
    },
  },
  {
    name: 'alerts',
    hash: '#/alerts',
    ready: async (page) => {
      await visible(page, 'tr', /NOTIFICATION_FAILING\s*acme · pager.*keeps failing: 5 failure/);
      await visible(page, 'tr', /acknowledged .* by ops@acme/);
      await visible(page, 'tr', /LOW_ACCURACY\s*acme · failure.*0\.71 \(0\.75\).*resolved .* \(cleared\)/);
      await visible(page, 'tr', /TRAINING_FAILURE\s*globex · failure/);
      assert.equal(await page.getByRole('button', { name: /^Acknowledge / }).count(), 3, 'one button per open alert');
    },
  },
  {
    name: 'notifications',
    hash: '#/notifications?tenant=acme',
    ready: async (page) => {
      await visible(page, 'tr', /version\.promoted\s*acme · ops-hook.*delivered/);
      await visible(page, 'tr', /alert\.opened\s*acme · ops-hook.*delivered.*HTTP 200/);
      // The delivery history of the newest one, read when its row opens: the receiver's answer.
      await page.locator('tbody summary').first().click();
      await visible(page, '.attempts li', /attempt 1: delivered .* on .*, \d+ ms, HTTP 200/);
    },
  },
  {
    name: 'audit',
    hash: '#/audit',
    ready: async (page) => {
      await visible(page, 'tr', /model\.promote\s*model\/acme\/failure/);
      await visible(page, 'tr', /channel\.create/);
      await visible(page, 'tr', /key\.create.*acme/);
    },
  },
];

describe('dashboard in Chromium', { timeout: 600_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  const open = async (hash: string, width = 1280) => {
    const { page, errors } = await openPage(browser, width);
    await page.goto(`${server.base}/${hash}`);
    return { page, errors };
  };
  const champion = async () => (await server.call<{ champion: { version: number } }>('GET', '/api/tenants/acme/models/failure')).body.champion.version;

  before(async () => {
    [server, browser] = await Promise.all([openDashboardServer(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('every page shows its real data at 1280 and 390 px, without a serious or critical axe violation', async () => {
    for (const p of PAGES) {
      const hash = typeof p.hash === 'string' ? p.hash : await p.hash(server);
      for (const width of [1280, 390]) {
        const { page, errors } = await open(hash, width);
        await p.ready(page);
        await assertNoSeriousAxeViolations(page, `${p.name} at ${width} px`);
        const overflow = await page.evaluate(() => {
          const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
          return d.scrollWidth - d.clientWidth;
        });
        assert.ok(overflow <= 0, `${p.name} at ${width} px scrolls sideways by ${overflow} px (wide tables scroll in their own region)`);
        await screenshot(page, `${p.name}-${width}`);
        assert.deepEqual(errors, [], `${p.name} at ${width} px: errors in the page`);
        await page.context().close();
      }
    }
  });

  test('overview: the models table comes with each live metric in one request; nothing is read per model', async () => {
    const { page } = await openPage(browser, 1280);
    const read = new Set<string>();
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/') || path.startsWith('/health')) read.add(path);
    });
    await page.goto(`${server.base}/#/overview`);
    await visible(page, 'td', /auc 0\.\d+ \(\d+ rows\)/);
    await visible(page, '#alerts-h + ul li');
    assert.deepEqual([...read].sort(), ['/api/alerts', '/api/models/overview', '/api/runs/active', '/api/tenants', '/health/summary']);
    await page.context().close();
  });

  test("times are in the viewer's zone, with the UTC instant on hover", async () => {
    const { page } = await open('#/schedules/acme.failure.nightly');
    await visible(page, 'th', 'In America/New_York');
    const times = page.locator('tbody time');
    await times.first().waitFor();
    const [inZone, inViewer] = [await times.nth(0).textContent(), await times.nth(1).textContent()];
    const utc = await times.nth(0).getAttribute('title');
    assert.match(inZone!, /02:00:00 EST$/, 'the schedule fires at 2 AM New York time');
    assert.match(inViewer!, /16:00:00 GMT\+9$/, 'which is 4 PM in Tokyo');
    assert.match(utc!, /T07:00:00Z \(UTC\)$/);
    await page.context().close();
  });

  test('schedules: disable and enable; an invalid cron is refused inline, a valid one saved', async () => {
    const id = 'globex.report.hourly';
    const { page } = await open(`#/schedules/${id}`);
    await page.getByRole('button', { name: `Disable schedule ${id}` }).click();
    await page.getByRole('button', { name: `Enable schedule ${id}` }).waitFor();
    assert.equal((await server.call('GET', `/api/schedules/${id}`)).body.enabled, false);
    await page.getByRole('button', { name: `Enable schedule ${id}` }).click();
    await page.getByRole('button', { name: `Disable schedule ${id}` }).waitFor();
    assert.equal((await server.call('GET', `/api/schedules/${id}`)).body.enabled, true);

    const cron = page.getByLabel('Cron expression');
    await cron.fill('0 25 * * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    const error = page.locator('#edit-cron-error');
    await error.waitFor();
    assert.match((await error.textContent())!, /cron/i);
    assert.equal(await cron.getAttribute('aria-invalid'), 'true');
    assert.equal((await server.call('GET', `/api/schedules/${id}`)).body.cron, '0 * * * *', 'nothing stored');

    await cron.fill('30 4 * * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.locator('[role=status]', { hasText: 'Saved.' }).waitFor();
    assert.equal(await error.count(), 0);
    const saved = (await server.call('GET', `/api/schedules/${id}`)).body;
    assert.equal(saved.cron, '30 4 * * *');
    await visible(page, 'p.lead', 'at 04:30 every day (Europe/London)');
    await page.context().close();
  });

  test('runs: filters on the server; a running run is followed, cancelled, and re-triggered', async () => {
    const { page } = await open('#/runs');
    await page.getByLabel('Status').selectOption('skipped');
    await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash.includes('status=skipped'));
    await visible(page, 'td', 'no_training_needed');
    const statuses = await page.locator('tbody .status').allTextContents();
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'skipped'), statuses.join());

    const started = await server.call<{ runId: string }>('POST', '/api/jobs/slow-export/trigger', { tenantId: 'acme' });
    assert.equal(started.status, 202);
    await page.goto(`${server.base}/#/runs/${started.body.runId}`);
    await visible(page, 'h2', 'following while it runs');
    await visible(page, 'pre.log', 'exported batch 2');
    await visible(page, 'pre.log', 'exported batch 12'); // it polls the tail as lines arrive
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await visible(page, '.status', 'cancelled');
    assert.equal((await server.call('GET', `/api/runs/${started.body.runId}`)).body.status, 'cancelled');

    await page.getByRole('button', { name: 'Re-trigger slow-export' }).click();
    await page.waitForFunction((old) => {
      const hash = (globalThis as unknown as { location: { hash: string } }).location.hash;
      return hash.startsWith('#/runs/run_') && !hash.includes(old);
    }, started.body.runId);
    const again = decodeURIComponent((await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).slice('#/runs/'.length));
    const rerun = (await server.call('GET', `/api/runs/${again}`)).body;
    assert.deepEqual([rerun.jobId, rerun.tenantId, rerun.trigger], ['slow-export', 'acme', 'manual']);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await visible(page, '.status', 'cancelled');
    assert.equal((await server.call('GET', `/api/runs/${again}`)).body.status, 'cancelled');
    await page.context().close();
  });

  test('models: rollback and promote name both versions; train queues a run; a prediction names its version', async () => {
    assert.equal(await champion(), 2);
    const { page } = await open('#/models/acme/failure');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent())!, /Roll back to v1 \(auc 0\.\d+\), replacing the champion v2/);
    await dialog.getByRole('button', { name: 'Roll back to v1' }).click();
    await visible(page, '[role=status]', 'Rolled back to v1, replacing v2.');
    assert.equal(await champion(), 1);
    const history = (await server.call<{ history: Array<{ action: string; version: number; previousVersion: number }> }>('GET', '/api/tenants/acme/models/failure/champion/history')).body.history[0]!;
    assert.deepEqual([history.action, history.version, history.previousVersion], ['rollback', 1, 2]);

    await page.getByRole('button', { name: 'Promote v2' }).click();
    assert.match((await page.getByRole('dialog').textContent())!, /Promote v2 \(auc 0\.\d+\), replacing the champion v1/);
    await page.getByRole('dialog').getByRole('button', { name: 'Promote v2' }).click();
    await visible(page, '[role=status]', 'Promoted v2, replacing v1.');
    assert.equal(await champion(), 2);

    await page.getByLabel('temperature').fill('88.5');
    await page.getByLabel('vibration').fill('4.9');
    await page.getByLabel('model (category)').fill('M200');
    await page.getByRole('button', { name: 'Predict' }).click();
    await visible(page, '.answer', /Prediction [01] \(probability 0?\.?\d*\) by failure_acme_v2 \(version 2\)/);

    await page.getByLabel('temperature').fill('hot');
    await page.getByRole('button', { name: 'Predict' }).click();
    await visible(page, '#predict-temperature-error', /temperature/);

    await page.getByRole('button', { name: 'Train now' }).click();
    await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash.startsWith('#/runs/run_'));
    const runId = decodeURIComponent((await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).slice('#/runs/'.length));
    const run = (await server.call('GET', `/api/runs/${runId}`)).body;
    assert.deepEqual([run.jobId, run.tenantId], ['train-failure', 'acme']);
    await server.call('POST', `/api/runs/${runId}/cancel`);
    await page.context().close();
  });

  test('alerts: acknowledge an open alert; the API and the audit log show it; filters on the server', async () => {
    const { page } = await open('#/alerts?status=open&tenant=acme');
    await visible(page, 'tr', /pager/);
    const statuses = await page.locator('tbody .status').allTextContents();
    assert.deepEqual([...new Set(statuses.filter((s) => ['open', 'acknowledged', 'resolved'].includes(s)))], ['open'], statuses.join());
    assert.equal(await page.locator('tbody tr', { hasText: 'globex' }).count(), 0, 'only acme');
    await page.getByRole('button', { name: 'Acknowledge NOTIFICATION_FAILING of acme pager' }).click();
    await visible(page, '[role=status]', 'Acknowledged NOTIFICATION_FAILING of acme as local.');
    const acked = (await server.call<{ alerts: Array<{ id: string; subject: string; acknowledgedBy: string; acknowledgedAt: string }> }>('GET', '/api/alerts?tenantId=acme&status=acknowledged')).body.alerts;
    const pager = acked.find((a) => a.subject === 'pager');
    assert.ok(pager, JSON.stringify(acked));
    assert.equal(pager.acknowledgedBy, 'local');
    assert.equal(await page.getByRole('button', { name: 'Acknowledge NOTIFICATION_FAILING of acme pager' }).count(), 0, 'the open list no longer has it');
    await page.goto(`${server.base}/#/audit?action=alert.`);
    await visible(page, 'tr', new RegExp(`alert\\.acknowledge\\s*alert/${pager.id}`));
    await page.context().close();
  });

  test('sign-in with a viewer key of acme: its models, runs and alerts show, none of globex', async () => {
    const { page, errors } = await open('#/overview');
    await page.goto(`${server.authedBase}/#/overview`);
    await visible(page, '.error', /NS_UNAUTHENTICATED/);
    await page.getByLabel('API key or token').fill(server.viewerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page, 'text=ready');
    await visible(page, 'tr', /acme\s*failure\s*v2/);
    await visible(page, '#alerts-h + ul li', /acme · sms/);
    assert.equal(await page.locator('main', { hasText: 'globex' }).count(), 0, 'the overview names no globex model or alert');
    assert.deepEqual(await page.locator('#overview-tenant option').allTextContents(), ['All tenants', 'Acme Manufacturing (acme)']);

    for (const [hash, shows] of [
      ['#/runs', /acme · train-failure/],
      ['#/models', /failure_acme_v2/],
      ['#/alerts', /acme · sms/],
      ['#/notifications', /acme · ops-hook/],
    ] as const) {
      await page.goto(`${server.authedBase}/${hash}`);
      await visible(page, 'tbody tr', shows);
      assert.equal(await page.locator('main', { hasText: 'globex' }).count(), 0, `${hash} names no globex row`);
    }
    // A viewer cannot acknowledge (an operator's act): the server refuses, nothing changes.
    await page.goto(`${server.authedBase}/#/alerts?status=open`);
    await page.getByRole('button', { name: 'Acknowledge NOTIFICATION_FAILING of acme sms' }).click();
    await visible(page, '.error', /NS_FORBIDDEN/);
    const sms = (await server.call<{ alerts: Array<{ subject: string; status: string }> }>('GET', '/api/alerts?tenantId=acme')).body.alerts.find((a) => a.subject === 'sms');
    assert.equal(sms?.status, 'open');
    // The audit log is an admin's: the page says so.
    await page.goto(`${server.authedBase}/#/audit`);
    await visible(page, '.error', /NS_FORBIDDEN.*admin/);
    assert.deepEqual(errors.filter((e) => !/40[13]/.test(e)), []);
    await page.context().close();
  });

  test('sign-in: the key stays in the tab (sessionStorage) and goes out as a bearer token', async () => {
    const { page } = await open('#/overview');
    await visible(page, 'text=ready');
    await page.getByLabel('API key or token').fill('nsk_test_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const sent = await page.waitForRequest((r) => r.url().includes('/api/') && r.headers().authorization !== undefined);
    assert.equal(sent.headers().authorization, 'Bearer nsk_test_key');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('nightshift.token')), 'nsk_test_key');
    await visible(page, 'tr', /acme\s*failure/); // with auth off the key is ignored and the data still shows
    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('nightshift.token')), null);
    await page.context().close();
  });

  test('keyboard only: skip link, navigation, and the rollback dialog (Escape cancels)', async () => {
    const { page } = await open('#/overview');
    await visible(page, 'text=ready');
    const focused = () => page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { textContent: string | null; id: string; tagName: string } | null } }).document.activeElement;
      return el ? `${el.tagName}#${el.id}:${(el.textContent ?? '').trim().slice(0, 40)}` : '';
    });
    await page.keyboard.press('Tab');
    assert.match(await focused(), /^A#:Skip to content/);
    await page.keyboard.press('Tab'); // Overview
    await page.keyboard.press('Tab'); // Schedules
    await page.keyboard.press('Tab'); // Runs
    await page.keyboard.press('Tab'); // Models
    assert.match(await focused(), /^A#:Models$/);
    await page.keyboard.press('Enter');
    await visible(page, 'h1', 'Models');
    // The focus moves in an effect after the new page's render: the page may show a frame before it.
    await page
      .waitForFunction(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === 'main', undefined, { timeout: 5_000 })
      .catch(() => undefined);
    assert.match(await focused(), /^MAIN#main/, 'a new page moves focus to its content');
    // Tab to the first model link and open it.
    for (let i = 0; i < 12 && !/^A#:failure$/.test(await focused()); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await visible(page, 'h2', 'Versions');
    for (let i = 0; i < 40 && !/Roll back to v1/.test(await focused()); i++) await page.keyboard.press('Tab');
    assert.match(await focused(), /^BUTTON#:Roll back to v1/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    assert.match(await focused(), /^BUTTON#:Roll back to v1/, 'focus moves into the dialog, on its action');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await champion(), 2, 'Escape changed nothing');
    await page.context().close();
  });
});
