// Builds the dashboard (src/ui, preact + uPlot) for the browser into one directory: index.html,
// app.js (a minified ES module, dependencies included; the charts and uPlot in a chunk of their
// own, imported on demand) and app.css (ours and uPlot's). The server serves that directory at
// `/`; nothing is fetched from a CDN or the network at run time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** Writes the dashboard into outdir (created if missing); resolves with its size in bytes (JS and CSS, no source map). */
export async function buildUi(outdir) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/ui/main.tsx' },
    outdir,
    bundle: true,
    format: 'esm',
    // The charts (uPlot) load as a chunk of their own, only on the page that draws them (src/ui/use-module.ts).
    splitting: true,
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const css = [readFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8'), readFileSync(join(root, 'src/ui/app.css'), 'utf8')].join('\n');
  writeFileSync(join(outdir, 'app.css'), css);
  // The chunks app.js imports statically are announced in the page, so the browser fetches them
  // with app.js instead of after parsing it (one round trip less before the first render).
  const entry = Object.values(result.metafile.outputs).find((o) => o.entryPoint === 'src/ui/main.tsx');
  const preloads = (entry?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => `    <link rel="modulepreload" href="${basename(i.path)}" />\n`);
  const html = readFileSync(join(root, 'src/ui/index.html'), 'utf8').replace('    <script type="module"', `${preloads.join('')}    <script type="module"`);
  writeFileSync(join(outdir, 'index.html'), html);
  const js = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
  return js.reduce((n, [, o]) => n + o.bytes, 0) + css.length;
}
