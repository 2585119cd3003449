// Runs a TypeScript script (the demo) with the same esbuild the bundle uses: compiled to
// .tools/, dependencies left to node_modules.
import { build } from 'esbuild'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [script, ...args] = process.argv.slice(2)
const root = new URL('..', import.meta.url).pathname
// Two levels below the root, like test/helpers/: their paths to the root stay right.
const outfile = join(root, '.tools', 'compiled', `${basename(script, '.ts')}.mjs`)
await build({
  entryPoints: [script],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  outfile,
  logLevel: 'warning'
})
process.argv = [process.argv[0], script, ...args]
await import(pathToFileURL(outfile).href)
