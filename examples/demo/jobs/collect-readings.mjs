// Step 1 of the demo analysis: collect the last hour of sensor readings for this tenant.
// The "sensors" are a deterministic simulation (seeded by tenant and hour), written as NDJSON.
// The plants stop for maintenance every day from 02:00 to 04:00 UTC and no machine reports then:
// when the last hour holds no reading at all (slots from 03:00 to 04:00) the step exits 3, which the
// pipeline maps to the outcome `no_data` (it ends early, successfully, and detect does not run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tenant = process.env.NIGHTSHIFT_TENANT_ID ?? 'default';
const slot = Date.parse(process.env.NIGHTSHIFT_SLOT_AT ?? new Date().toISOString());
const dir = join(process.env.DEMO_OUT ?? 'data/demo', tenant);
mkdirSync(dir, { recursive: true });

let seed = [...`${tenant}:${Math.floor(slot / 3_600_000)}`].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());

const machines = 8;
const MAINTENANCE_UTC_HOURS = [2, 3];
const stopped = (at) => MAINTENANCE_UTC_HOURS.includes(new Date(at).getUTCHours());
const lines = [];
for (let m = 0; m < machines; m++) {
  const wear = random();
  for (let minute = 0; minute < 60; minute++) {
    const at = slot - (60 - minute) * 60_000;
    const spike = random() < 0.01 ? 6 : 0;
    const vibration = 1 + wear * 0.5 + 0.1 * gauss() + spike * 0.1;
    const temperature = 60 + wear * 15 + 2 * gauss() + spike;
    if (!stopped(at)) lines.push(JSON.stringify({ machine: `m${m}`, at, vibration, temperature }));
  }
}
if (lines.length === 0) {
  console.log('::metric events_count=0');
  console.error(`no readings between ${new Date(slot - 3_600_000).toISOString()} and ${new Date(slot).toISOString()}: the plants are stopped for maintenance`);
  process.exit(3); // no_data: the pipeline ends early, successfully
}
writeFileSync(join(dir, 'readings.ndjson'), `${lines.join('\n')}\n`);
console.log(`::metric events_count=${lines.length}`);
console.log(`collected ${lines.length} readings from ${machines} machines`);
