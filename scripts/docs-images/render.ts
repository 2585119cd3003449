// `npm run docs:images`: the README's pictures, from real runs of `node dist/index.js`.
//
// 1. A workspace holds examples/hello as services/orders. Against moto (Lambda), a fake Actions
//    cache service and a fake GitHub API, all on 127.0.0.1, the action runs as GitHub runs it:
//    - a push to main deploys orders-api (arm64, python3.13: the newest runtime whose arm64
//      CPython Debian's archive has, so both architectures are import-checked here, arm64 under
//      qemu, as on a hosted runner): its job summary is one picture,
//      and its size report is kept in the cache;
//    - a pull request that adds orjson and moves pydantic builds and gates the change: the
//      comment it posts, with the change against main and the chart, is the other.
// 2. Each Markdown is rendered as GitHub would (markdown-it, GitHub's Markdown CSS, Mermaid),
//    and Debian's chromium, headless, screenshots it into docs/images/.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { startFakeActionsCache } from '../../test/helpers/fake-actions-cache.js'
import { startFakeCommentApi } from '../../test/helpers/fake-comment-api.js'
import { pullRequestEnv, pushToMainEnv } from '../../test/helpers/github-events.js'
import { startMoto } from '../../test/helpers/moto.js'
import { hostedToolCacheIfHere } from '../../test/helpers/pythons.js'
import { ROOT, runAction, type ActionRun } from '../../test/helpers/run-action.js'

const TOOLS = join(ROOT, '.tools', 'docs-images')
const IMAGES = join(ROOT, 'docs', 'images')
const CHROMIUM = '/usr/bin/chromium'
const MAIN_SHA = '4d1c3b2a9f8e7d6c5b4a39281706f5e4d3c2b1a0'
const FUNCTION = 'orders-api'

const RUNTIME = 'python3.13'

/** What the pull request changes: pydantic moves on, orjson comes in. */
const PULL_REQUEST_REQUIREMENTS = `numpy==2.2.6\npydantic==2.14.4\norjson==3.10.13\n`

function check(run: ActionRun, what: string): void {
  if (run.code !== 0) {
    process.stdout.write(run.stdout + run.stderr)
    throw new Error(`${what} failed (exit ${run.code})`)
  }
}

async function runsToPicture(work: string): Promise<{ summary: string; comment: string }> {
  const workspace = join(work, 'workspace')
  const source = join(workspace, 'services', 'orders')
  cpSync(join(ROOT, 'examples', 'hello'), source, { recursive: true })
  const [moto, cache, github] = await Promise.all([
    startMoto(),
    startFakeActionsCache(),
    startFakeCommentApi()
  ])
  try {
    await moto.createFunction({ name: FUNCTION, runtime: RUNTIME, architecture: 'arm64' })
    const toolCache = join(work, 'tool-cache')
    // The runtime's CPython where GitHub's ubuntu images keep it.
    hostedToolCacheIfHere(toolCache, [RUNTIME.slice('python'.length)])
    const env = {
      ...moto.env,
      ...cache.env,
      GITHUB_WORKSPACE: workspace,
      // One temp folder and tool cache for both runs, as on one runner image.
      RUNNER_TEMP: join(work, 'runner-temp'),
      RUNNER_TOOL_CACHE: toolCache
    }
    const common = {
      source: 'services/orders',
      architectures: 'arm64, x86_64',
      'max-size': '45MB'
    }
    console.log('main: deploy (node dist/index.js) ...')
    const main = await runAction({
      inputs: {
        ...common,
        'function-name': FUNCTION,
        alias: 'live',
        'smoke-payload': JSON.stringify({ id: 'smoke', quantities: [1, 2, 3] }),
        'smoke-expect': JSON.stringify({ id: 'smoke' })
      },
      env: { ...env, ...pushToMainEnv(work, MAIN_SHA) },
      cwd: workspace
    })
    check(main, 'the deploy on main')

    writeFileSync(join(source, 'requirements.txt'), PULL_REQUEST_REQUIREMENTS)
    console.log('pull request: gate (node dist/index.js) ...')
    const pull = await runAction({
      inputs: {
        ...common,
        mode: 'build',
        runtime: RUNTIME,
        handler: 'app.handler',
        'github-token': 'ghs_fakeTokenForTheDocsImagesOnly'
      },
      env: { ...env, ...pullRequestEnv(work, 42, github.url) },
      cwd: workspace
    })
    check(pull, 'the pull-request gate')
    const comment = github.posted.at(-1)
    if (!comment) throw new Error('the pull-request run posted no comment')
    return { summary: main.summary, comment }
  } finally {
    await Promise.all([moto.stop(), cache.stop(), github.stop()])
  }
}

/** A package installed into .tools/docs-images by setup.mjs (CommonJS or not). */
async function load<T>(name: string): Promise<T> {
  const path = createRequire(join(TOOLS, 'package.json')).resolve(name)
  const loaded = (await import(pathToFileURL(path).href)) as { default?: T }
  return loaded.default ?? (loaded as T)
}

interface MarkdownIt {
  render(markdown: string): string
  renderer: { rules: Record<string, unknown> }
  utils: { escapeHtml(text: string): string }
}

async function toHtml(markdown: string, frameTitle: string): Promise<string> {
  const modules = join(TOOLS, 'node_modules')
  const markdownIt = await load<(options: object) => MarkdownIt>('markdown-it')
  const md = markdownIt({ html: true, linkify: true })
  const fence = md.renderer.rules.fence as (...args: unknown[]) => string
  md.renderer.rules.fence = (...args: unknown[]) => {
    const [tokens, index] = args as [{ info: string; content: string }[], number]
    const token = tokens[index]!
    return token.info.trim() === 'mermaid'
      ? `<pre class="mermaid">${md.utils.escapeHtml(token.content)}</pre>\n`
      : fence(...args)
  }
  const href = (path: string) => pathToFileURL(join(modules, path)).href
  return `<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="${href('github-markdown-css/github-markdown-light.css')}">
<style>
  body { margin: 0; padding: 16px; background: #ffffff; }
  #shot { width: 880px; border: 1px solid #d1d9e0; border-radius: 6px; overflow: hidden; }
  #shot > header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 10px 16px;
    font: 14px -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
    color: #59636e; }
  #shot > header b { color: #1f2328; }
  .markdown-body { padding: 16px 24px; }
  pre.mermaid { background: none; text-align: center; }
</style></head>
<body><div id="shot"><header>${frameTitle}</header>
<article class="markdown-body">${md.render(markdown)}</article></div>
<script src="${href('mermaid/dist/mermaid.min.js')}"></script>
<script>
  mermaid.initialize({ startOnLoad: false, theme: 'default' })
  mermaid.run({ querySelector: 'pre.mermaid' }).then(
    () => { document.body.dataset.ready = 'ok' },
    (error) => { document.body.dataset.ready = 'error: ' + error }
  )
</script></body></html>
`
}

interface Page {
  route(url: string, handler: (route: Route) => Promise<void>): Promise<void>
  goto(url: string): Promise<unknown>
  /** Both take an expression evaluated in the page. */
  waitForFunction(expression: string): Promise<unknown>
  evaluate(expression: string): Promise<unknown>
  locator(selector: string): { screenshot(options: { path: string }): Promise<unknown> }
}
interface Route {
  request(): { url(): string }
  continue(): Promise<void>
  abort(): Promise<void>
}
interface BrowserContext {
  pages(): Page[]
  newPage(): Promise<Page>
  close(): Promise<void>
}

async function screenshots(pages: { html: string; png: string }[], work: string): Promise<void> {
  const { chromium } = await load<{
    chromium: {
      launchPersistentContext(dir: string, options: object): Promise<BrowserContext>
    }
  }>('playwright-core')
  // A fresh profile each time, and nothing that reaches beyond this machine.
  const context = await chromium.launchPersistentContext(mkdtempSync(join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ],
    viewport: { width: 912, height: 900 },
    deviceScaleFactor: 2
  })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort()
    )
    for (const { html, png } of pages) {
      await page.goto(pathToFileURL(html).href)
      await page.waitForFunction('document.body.dataset.ready')
      const ready = await page.evaluate('document.body.dataset.ready')
      if (ready !== 'ok') throw new Error(`${html}: Mermaid did not render (${String(ready)})`)
      await page.locator('#shot').screenshot({ path: png })
      console.log(`wrote ${png}`)
    }
  } finally {
    await context.close()
  }
}

const started = performance.now()
const work = mkdtempSync(join(tmpdir(), 'lpd-docs-images-'))
try {
  if (!existsSync(join(TOOLS, 'node_modules'))) {
    throw new Error('run scripts/docs-images/setup.mjs first (npm run docs:images does)')
  }
  const { summary, comment } = await runsToPicture(work)
  const pages = [
    {
      markdown: summary,
      frame: `<b>deploy</b> summary · push to main`,
      name: 'job-summary'
    },
    {
      markdown: comment,
      frame: '<b>github-actions</b> bot commented on pull request #42',
      name: 'pr-comment'
    }
  ]
  mkdirSync(IMAGES, { recursive: true })
  const rendered = []
  for (const { markdown, frame, name } of pages) {
    const html = join(work, `${name}.html`)
    writeFileSync(join(work, `${name}.md`), markdown)
    writeFileSync(html, await toHtml(markdown, frame))
    rendered.push({ html, png: join(IMAGES, `${name}.png`) })
  }
  await screenshots(rendered, work)
  console.log(`docs images done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
