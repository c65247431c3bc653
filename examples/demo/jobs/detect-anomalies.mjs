// Step 2 of the demo analysis: per machine, flag readings more than 3 standard deviations from
// that machine's mean, and write a report the next step (or a person) can read.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tenant = process.env.NIGHTSHIFT_TENANT_ID ?? 'default';
const dir = join(process.env.DEMO_OUT ?? 'data/demo', tenant);
const readings = readFileSync(join(dir, 'readings.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const byMachine = new Map();
for (const r of readings) byMachine.set(r.machine, [...(byMachine.get(r.machine) ?? []), r]);
const anomalies = [];
const machines = [];
for (const [machine, rows] of byMachine) {
  const stats = {};
  for (const field of ['vibration', 'temperature']) {
    const xs = rows.map((r) => r[field]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
    stats[field] = { mean: +mean.toFixed(3), std: +std.toFixed(3) };
    for (const r of rows) if (Math.abs(r[field] - mean) > 3 * std) anomalies.push({ machine, field, at: new Date(r.at).toISOString(), value: +r[field].toFixed(3) });
  }
  machines.push({ machine, readings: rows.length, ...stats });
}
const report = { tenant, generatedAt: new Date().toISOString(), machines, anomalies };
writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
console.log(`::metric machines=${machines.length}`);
console.log(`::metric anomalies=${anomalies.length}`);
console.log(`${anomalies.length} anomalies across ${machines.length} machines; report in ${join(dir, 'report.json')}`);
