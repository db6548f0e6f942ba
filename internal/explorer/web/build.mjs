// Builds the explorer into ../dist: explorer.js, explorer.css and index.html.
// The output is committed and embedded by the Go package, so it must be
// byte-identical for a given package-lock.json: no source maps, no
// timestamps, no absolute paths.
//
// Before bundling it validates the example operations against the API
// schema, so an example that drifts from the schema fails the build.

import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildSchema, parse, validate } from 'graphql';
import { examples } from './src/examples.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = here('../dist/');
const schemaFile = here('../../../schema.graphqls');

async function checkExamples() {
  const schema = buildSchema(await readFile(schemaFile, 'utf8'));
  const problems = [];
  for (const ex of examples) {
    try {
      for (const err of validate(schema, parse(ex.query))) {
        problems.push(`${ex.title}: ${err.message}`);
      }
    } catch (err) {
      problems.push(`${ex.title}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`src/examples.js does not match ${schemaFile}:\n  ${problems.join('\n  ')}`);
  }
}

try {
  await checkExamples();
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await esbuild.build({
  absWorkingDir: here('.'),
  entryPoints: { explorer: 'src/main.jsx' },
  outdir: dist,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  charset: 'utf8',
  legalComments: 'eof',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
await copyFile(here('src/index.html'), `${dist}index.html`);

for (const name of ['index.html', 'explorer.js', 'explorer.css']) {
  const { size } = await stat(`${dist}${name}`);
  console.log(`dist/${name}  ${(size / 1024).toFixed(1)} KiB`);
}
