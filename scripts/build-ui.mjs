// Builds the dashboard (src/ui, preact + uPlot) for the browser into one directory: index.html,
// app.js (one minified ES module, dependencies included) and app.css (ours and uPlot's). The
// server serves that directory at `/`; nothing is fetched from a CDN or the network at run time.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  copyFileSync(join(root, 'src/ui/index.html'), join(outdir, 'index.html'));
  const js = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
  return js.reduce((n, [, o]) => n + o.bytes, 0) + css.length;
}
