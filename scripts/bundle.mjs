// Bundles src/ into the dist/index.js that GitHub runs (committed; check-dist diffs it).
import { build } from 'esbuild'

await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: 'dist/index.js',
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: {
    js: "import { createRequire as __lpdCreateRequire } from 'node:module'; const require = __lpdCreateRequire(import.meta.url);"
  }
})
