import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/lambda-facts.js'
import { reportId } from '../../src/report/report.js'
import {
  commentMarker,
  markdownTable,
  renderComment,
  renderResultLine,
  renderSummary
} from '../../src/report/summary.js'
import type { BytecodeReport, FunctionDeployResult } from '../../src/types.js'
import { loadReport, runReport } from '../helpers/report-fixtures.js'

/** The lines of `markdown` from the one starting with `start`, up to the next blank line. */
function block(markdown: string, start: string): string[] {
  const lines = markdown.split('\n')
  const from = lines.findIndex((line) => line.startsWith(start))
  if (from === -1) throw new Error(`no line starts with ${JSON.stringify(start)}:\n${markdown}`)
  const to = lines.indexOf('', from)
  return lines.slice(from, to === -1 ? undefined : to)
}

const pullRequest = runReport('pull-request', {
  title: 'services/orders',
  base: loadReport('main'),
  baseBranch: 'main',
  baseCommit: '0123456789abcdef',
  limits: { maxSize: 18_000_000, maxUnzippedSize: LIMITS.unzippedBytes },
  runUrl: 'https://github.com/acme/shop/actions/runs/42'
})

const deploys: FunctionDeployResult[] = [
  {
    functionName: 'orders-api',
    architecture: 'arm64',
    status: 'deployed',
    upload: 'direct',
    version: '13',
    versionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api:13',
    aliasArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live',
    smoke: { status: 'passed' },
    waitedMs: 95_000,
    prune: {
      subject: 'orders-api',
      deleted: ['10', '11'],
      kept: [
        { version: '13', reasons: ['deployed by this run', 'one of the 2 newest', 'alias live'] },
        { version: '12', reasons: ['one of the 2 newest', 'alias canary (routing weight)'] },
        { version: '9', reasons: ['not deleted: permission denied'] }
      ],
      warnings: [
        'orders-api:9 was not deleted: Permission denied: lambda:DeleteFunction on orders-api:9.'
      ]
    }
  },
  { functionName: 'orders-worker', architecture: 'arm64', status: 'unchanged', version: '7' },
  {
    functionName: 'orders-cron',
    architecture: 'x86_64',
    status: 'deployed',
    upload: 's3',
    version: '4',
    smoke: { status: 'failed', detail: 'FunctionError: Unhandled (KeyError: order_id)' }
  },
  {
    functionName: 'orders-audit',
    architecture: 'x86_64',
    status: 'failed',
    error: 'AccessDeniedException: not authorized to perform lambda:UpdateFunctionCode'
  }
]

describe('size table', () => {
  it('shows sizes, headroom, upload, cache, import check and the change against main', () => {
    expect(block(renderSummary(pullRequest), '| Architecture')).toEqual([
      '| Architecture | Function zip | Unzipped | Unzipped headroom | Zipped headroom | Upload | Wheel cache | Import check | Change, zipped | Change, unzipped |',
      '|:--|--:|--:|--:|--:|:--|:--|:--|--:|--:|',
      '| ⚠️ arm64 | 17.3 MB (17,345,678 bytes) | 47.7 MB | 214.4 MB (81.8% free) | 654.3 kB (3.6% free) | direct | hit | passed | +245.7 kB (+1.4%) | +580.5 kB (+1.2%) |',
      '| ❌ x86_64 | 18.9 MB (18,901,234 bytes) | 50.5 MB | 211.7 MB (80.8% free) | **over by 901.2 kB** | direct | miss | skipped | +251.2 kB (+1.3%) | +621.4 kB (+1.2%) |'
    ])
  })

  it('leaves out the columns that do not apply: no max-size, no base report', () => {
    expect(block(renderSummary(runReport('main')), '| Architecture')).toEqual([
      '| Architecture | Function zip | Unzipped | Unzipped headroom | Upload | Wheel cache | Import check |',
      '|:--|--:|--:|--:|:--|:--|:--|',
      '| ✅ arm64 | 17.1 MB | 47.1 MB | 215.0 MB (82.0% free) | direct | hit | passed |',
      '| ✅ x86_64 | 18.6 MB | 49.8 MB | 212.3 MB (81.0% free) | direct | hit | passed |'
    ])
  })

  it('shows the layer zip, S3 upload, and exact bytes near the unzipped limit', () => {
    expect(block(renderSummary(runReport('layer-near-limit')), '| Architecture')).toEqual([
      '| Architecture | Function zip | Layer zip | Unzipped (function + layer) | Unzipped headroom | Upload | Wheel cache | Import check |',
      '|:--|--:|--:|--:|--:|:--|:--|:--|',
      '| ⚠️ arm64 | 4.5 kB | 61.2 MB | 245.8 MB (245,750,145 bytes) | 16.4 MB (6.3% free) | function direct, layer S3 | hit | passed |'
    ])
  })

  it('marks an architecture over the limit', () => {
    const over = runReport('layer-near-limit', { limits: { maxUnzippedSize: 200_000_000 } })
    expect(block(renderSummary(over), '| ❌ arm64')).toEqual([
      '| ❌ arm64 | 4.5 kB | 61.2 MB | 245.8 MB | **over by 45.8 MB** | function direct, layer S3 | hit | passed |'
    ])
  })

  it("states Lambda's limits and the workflow's own", () => {
    expect(block(renderSummary(pullRequest), 'Limits:')).toEqual([
      'Limits: Lambda takes function + layers up to 262.1 MB (250 MiB, 262,144,000 bytes) unzipped; zips up to 52.4 MB (50 MiB, 52,428,800 bytes) upload directly, bigger ones through S3 (`s3-bucket`). `max-size`: 18.0 MB (18,000,000 bytes) per zip.'
    ])
    const custom = runReport('main', { limits: { maxUnzippedSize: 100_000_000 } })
    expect(block(renderSummary(custom), 'Limits:')[0]).toMatch(
      /S3 \(`s3-bucket`\)\. `max-unzipped-size`: 100\.0 MB \(100,000,000 bytes\)\.$/
    )
  })

  it('says what the dependency-closure check found, per architecture', () => {
    const base = runReport('main')
    const report = {
      ...base,
      build: {
        ...base.build,
        architectures: base.build.architectures.map((arch, i) => ({
          ...arch,
          closure: {
            distributions: 12 + i,
            requirements: 30,
            fromRuntime: i === 0 ? [] : ['botocore']
          }
        }))
      }
    }
    const lines = renderSummary(report)
      .split('\n')
      .filter((line) => line.startsWith('Dependency closure'))
    expect(lines).toEqual(
      base.build.architectures.map(
        (arch, i) =>
          `Dependency closure on ${arch.architecture}: ${12 + i} distributions, all 30 requirements met for ${base.build.runtime}${i === 0 ? '.' : ' (`botocore` from the Lambda runtime).'}`
      )
    )
    expect(renderSummary(base)).not.toContain('Dependency closure')
  })
})

describe('import check', () => {
  /** The pull-request report with the import checks a run of the action records. */
  const checked = {
    ...pullRequest,
    build: {
      ...pullRequest.build,
      architectures: pullRequest.build.architectures.map((arch) => ({
        ...arch,
        importCheck:
          arch.architecture === 'arm64'
            ? { status: 'passed' as const, interpreter: 'CPython 3.12.7 (python3.12 on PATH)' }
            : {
                status: 'skipped' as const,
                reason:
                  'this runner is arm64, the package is x86_64 (run on a x86_64 runner to check it)'
              }
      }))
    }
  }
  const rows = [
    '| Target | Import check | Interpreter, or why it did not run |',
    '|:--|:--|:--|',
    '| python3.12 arm64 | ✅ passed | CPython 3.12.7 (python3.12 on PATH) |',
    '| python3.12 x86_64 | ⚠️ not checked | this runner is arm64, the package is x86_64 (run on a x86_64 runner to check it). |'
  ]

  it('shows per target in the job summary whether it passed, with which interpreter, or why it did not run', () => {
    const summary = renderSummary(checked)
    expect(summary).toContain('\n#### Import check\n\n| Target |')
    expect(block(summary, '| Target')).toEqual(rows)
  })

  it('shows the same rows in the pull-request comment', () => {
    expect(block(renderComment(checked), '| Target')).toEqual(rows)
  })

  it('shows a check recorded without its interpreter (an older report) and one turned off', () => {
    const base = runReport('main')
    const report = {
      ...base,
      build: {
        ...base.build,
        architectures: base.build.architectures.map((arch, i) => ({
          ...arch,
          importCheck:
            i === 0
              ? { status: 'passed' as const }
              : { status: 'skipped' as const, reason: 'import-check is false' }
        }))
      }
    }
    expect(block(renderSummary(report), '| Target').slice(2)).toEqual([
      '| python3.12 arm64 | ✅ passed | - |',
      '| python3.12 x86_64 | ⚠️ not checked | import-check is false. |'
    ])
  })

  it('has no section when the report records no import check', () => {
    const base = runReport('main')
    const report = {
      ...base,
      build: {
        ...base.build,
        architectures: base.build.architectures.map(({ importCheck: _, ...arch }) => arch)
      }
    }
    expect(renderSummary(report)).not.toContain('#### Import check')
    expect(renderComment(report)).not.toContain('| Target')
  })
})

describe('gate', () => {
  it('says the gate passed', () => {
    expect(renderSummary(runReport('main'))).toContain('\n**✅ Size gate passed.**\n')
  })

  it('lists every failure, naming the input, the size, the limit and the biggest contributors', () => {
    expect(block(renderSummary(pullRequest), '**❌ Size gate failed:**')).toEqual([
      '**❌ Size gate failed:**'
    ])
    expect(block(renderSummary(pullRequest), '- max-size')).toEqual([
      '- max-size: x86_64 function zip is 18.9 MB (18,901,234 bytes) zipped, over the limit of 18.0 MB (18,000,000 bytes) by 901.2 kB. Biggest contributors, unzipped: numpy 2.2.6 (41.3 MB), pydantic_core 2.33.2 (5.12 MB), pydantic 2.11.7 (3.20 MB), orjson 3.10.18 (655.0 kB), typing_extensions 4.14.0 (112.3 kB). Way out: drop or replace the biggest, set slim: true, or raise max-size.'
    ])
  })

  it('puts the gate before the table, where it is seen first', () => {
    const summary = renderSummary(pullRequest)
    expect(summary.indexOf('Size gate failed')).toBeLessThan(summary.indexOf('| Architecture'))
  })
})

describe('change against the base branch', () => {
  it('lists changed distributions with their change per architecture', () => {
    const summary = renderSummary(pullRequest)
    expect(block(summary, '#### Change against')).toEqual(['#### Change against `main`'])
    expect(block(summary, 'Compared with')).toEqual([
      'Compared with the latest report saved on `main` (`0123456`).'
    ])
    expect(block(summary, '| Distribution | Version')).toEqual([
      '| Distribution | Version | arm64 | x86_64 |',
      '|:--|:--|--:|--:|',
      '| orjson | 3.10.18 | added, +612.0 kB | added, +655.0 kB |',
      '| typing_inspection | 0.4.1 | removed, -60.0 kB | removed, -60.0 kB |',
      '| pydantic | 2.11.5 → 2.11.7 | +14.1 kB (+0.4%) | +14.1 kB (+0.4%) |',
      '| numpy | 2.2.5 → 2.2.6 | +12.3 kB (+<0.1%) | +10.2 kB (+<0.1%) |',
      '| _handler code_ |  | +2.1 kB (+17.4%) | +2.1 kB (+17.4%) |'
    ])
  })

  it('says so when nothing changed', () => {
    const same = runReport('main', { base: loadReport('main'), baseBranch: 'main' })
    const summary = renderSummary(same)
    expect(summary).toContain('\nNo distribution changed.\n')
    expect(block(summary, '| ✅ arm64')[0]).toMatch(/\| 0 B \| 0 B \|$/)
  })

  it('says there is no base report instead of failing', () => {
    const noBase = runReport('pull-request', { baseBranch: 'main' })
    const summary = renderSummary(noBase)
    expect(block(summary, 'No size report')).toEqual([
      'No size report from `main` to compare with yet: each run on `main` saves one in the Actions cache (an old one may have expired).'
    ])
    expect(block(summary, '| Architecture')[0]).not.toContain('Change')
  })

  it('has no change section outside pull requests', () => {
    expect(renderSummary(runReport('main'))).not.toContain('Change against')
  })

  it('names an architecture that is new or no longer built', () => {
    const armOnly = runReport('pull-request', { base: loadReport('main'), baseBranch: 'main' })
    armOnly.build.architectures = armOnly.build.architectures.filter(
      (a) => a.architecture === 'arm64'
    )
    expect(renderSummary(armOnly)).toContain(
      '\nx86_64 is no longer built (it was 18.6 MB zipped, 49.8 MB unzipped).\n'
    )
  })

  it('lists ten changes at most and counts the rest', () => {
    const base = loadReport('layer-near-limit')
    for (const d of base.architectures[0]!.distributions) d.version = '0'
    const summary = renderSummary(runReport('layer-near-limit', { base, baseBranch: 'main' }))
    expect(block(summary, '| Distribution | Version')).toHaveLength(2 + 10)
    expect(summary).toContain('\n3 more distributions changed.\n')
  })
})

describe('biggest distributions', () => {
  it('lists the ten biggest with their share, then the rest and the handler code', () => {
    expect(block(renderSummary(runReport('layer-near-limit')), '| # |')).toEqual([
      '| # | Distribution | arm64 |',
      '|--:|:--|--:|',
      '| 1 | scipy 1.15.3 | 98.5 MB (40.1%) |',
      '| 2 | pandas 2.3.0 | 70.1 MB (28.5%) |',
      '| 3 | numpy 2.2.6 | 38.9 MB (15.8%) |',
      '| 4 | pyarrow 20.0.0 | 25.6 MB (10.4%) |',
      '| 5 | numexpr 2.11.0 | 4.10 MB (1.7%) |',
      '| 6 | pytz 2025.2 | 2.90 MB (1.2%) |',
      '| 7 | tzdata 2025.2 | 1.90 MB (0.8%) |',
      '| 8 | joblib 1.5.1 | 1.45 MB (0.6%) |',
      '| 9 | bottleneck 1.5.0 | 1.10 MB (0.4%) |',
      '| 10 | python_dateutil 2.9.0.post0 | 760.0 kB (0.3%) |',
      '|  | _3 more_ | 418.0 kB (0.2%) |',
      '|  | _handler code_ | 9.8 kB (<0.1%) |'
    ])
  })

  it('gives one column per architecture', () => {
    expect(block(renderSummary(pullRequest), '| # |').slice(0, 3)).toEqual([
      '| # | Distribution | arm64 | x86_64 |',
      '|--:|:--|--:|--:|',
      '| 1 | numpy 2.2.6 | 38.9 MB (81.6%) | 41.3 MB (81.9%) |'
    ])
  })
})

describe('deploy', () => {
  it('shows per function: result, version, alias, smoke, upload; problems below', () => {
    const summary = renderSummary({ ...pullRequest, mode: 'deploy', deploys })
    expect(block(summary, '| Function')).toEqual([
      '| Function | Architecture | Result | Version | Alias | Smoke | Upload | Waited |',
      '|:--|:--|:--|--:|:--|:--|:--|--:|',
      '| `orders-api` | arm64 | ✅ deployed | 13 | live | ✅ passed | direct | 1 min 35 s |',
      '| `orders-worker` | arm64 | unchanged | 7 | - | - | - | - |',
      '| `orders-cron` | x86_64 | ✅ deployed | 4 | - | ❌ failed | S3 | - |',
      '| `orders-audit` | x86_64 | ❌ failed | - | - | - | - | - |'
    ])
    expect(block(summary, '- `orders-cron`')).toEqual([
      '- `orders-cron` smoke: FunctionError: Unhandled (KeyError: order_id)',
      '- `orders-audit`: AccessDeniedException: not authorized to perform lambda:UpdateFunctionCode'
    ])
  })

  it('lists the versions keep-versions deleted and kept, with why, and its warnings', () => {
    const layerPrune = {
      subject: 'layer orders-deps',
      deleted: ['3'],
      kept: [{ version: '4', reasons: ['deployed by this run', 'attached to orders-api'] }],
      warnings: []
    }
    const summary = renderSummary({ ...pullRequest, mode: 'deploy', deploys, layerPrune })
    expect(block(summary, '| Versions of')).toEqual([
      '| Versions of | Deleted | Kept, and why |',
      '|:--|:--|:--|',
      '| `orders-api` | 10, 11 | 13: deployed by this run, one of the 2 newest, alias live<br>12: one of the 2 newest, alias canary (routing weight)<br>9: not deleted: permission denied |',
      '| `layer orders-deps` | 3 | 4: deployed by this run, attached to orders-api |'
    ])
    expect(block(summary, '- ⚠️')).toEqual([
      '- ⚠️ orders-api:9 was not deleted: Permission denied: lambda:DeleteFunction on orders-api:9.'
    ])
    expect(renderComment({ ...pullRequest, mode: 'deploy', deploys })).not.toContain('Versions of')
  })

  it('has no deploy section in build mode', () => {
    expect(renderSummary(pullRequest)).not.toContain('#### Deploy')
  })
})

describe('time per phase', () => {
  it('shows each architecture’s phases and the whole run', () => {
    const summary = renderSummary({ ...pullRequest, timings: { build: 15_500, report: 120 } })
    expect(block(summary, '| Phase')).toEqual([
      '| Phase | arm64 | x86_64 |',
      '|:--|--:|--:|',
      '| resolve | 12.3 s | 15.0 s |',
      '| assemble | 812 ms | 950 ms |',
      '| verify | 2.1 s | 40 ms |'
    ])
    expect(summary).toContain('\nWhole run: build 15.5 s · report 120 ms.\n')
  })
})

describe('heading', () => {
  it('names the function set, the mode, runtime, package type and architectures', () => {
    expect(renderSummary(pullRequest).split('\n').slice(0, 3)).toEqual([
      '### lambda-python-deploy: services/orders',
      '',
      '`build` mode · python3.12 · zip package · arm64, x86_64'
    ])
  })
})

describe('pull-request comment', () => {
  const comment = renderComment({ ...pullRequest, mode: 'deploy', deploys })

  it('starts with the hidden marker of its function set', () => {
    expect(comment.split('\n')[0]).toBe('<!-- lambda-python-deploy:a1b2c3d4e5f6 -->')
    expect(commentMarker('a1b2c3d4e5f6')).toBe('<!-- lambda-python-deploy:a1b2c3d4e5f6 -->')
  })

  it('has the same size table, compact', () => {
    expect(block(comment, '| Architecture')).toEqual([
      '| Architecture | Function zip | Unzipped | Unzipped headroom | Zipped headroom | Change, zipped | Change, unzipped |',
      '|:--|--:|--:|--:|--:|--:|--:|',
      '| ⚠️ arm64 | 17.3 MB (17,345,678 bytes) | 47.7 MB | 214.4 MB (81.8% free) | 654.3 kB (3.6% free) | +245.7 kB (+1.4%) | +580.5 kB (+1.2%) |',
      '| ❌ x86_64 | 18.9 MB (18,901,234 bytes) | 50.5 MB | 211.7 MB (80.8% free) | **over by 901.2 kB** | +251.2 kB (+1.3%) | +621.4 kB (+1.2%) |'
    ])
  })

  it('has the gate, five changes at most, the deploy table compact, and a link to the run', () => {
    expect(comment).toContain('\n**❌ Size gate failed:**\n')
    expect(block(comment, '| Distribution')).toHaveLength(2 + 5)
    expect(block(comment, '| Function')[0]).toBe(
      '| Function | Architecture | Result | Version | Alias | Smoke |'
    )
    expect(comment.trimEnd().split('\n').at(-1)).toBe(
      '<sub>`deploy` mode · python3.12 · zip package · arm64, x86_64 · [full report](https://github.com/acme/shop/actions/runs/42)</sub>'
    )
  })

  it('leaves the long parts to the job summary', () => {
    expect(comment).not.toContain('Biggest distributions')
    expect(comment).not.toContain('| Phase')
  })
})

describe('result line', () => {
  it.each([
    [
      'build, gate failed',
      pullRequest,
      'lambda-python-deploy: arm64 17.3 MB zipped, 47.7 MB unzipped; x86_64 18.9 MB zipped, 50.5 MB unzipped; size gate failed (1)'
    ],
    [
      'deploy',
      { ...runReport('layer-near-limit'), mode: 'deploy' as const, deploys },
      'lambda-python-deploy: arm64 61.2 MB zipped, 245.8 MB unzipped; 2 deployed, 1 unchanged, 1 failed; size gate passed'
    ]
  ])('%s', (_label, report, line) => {
    expect(renderResultLine(report)).toBe(line)
  })
})

describe('markdownTable', () => {
  it('escapes pipes and line breaks in cells', () => {
    expect(markdownTable(['a', 'b'], ['left', 'right'], [['x | y', 'one\ntwo']])).toBe(
      '| a | b |\n|:--|--:|\n| x \\| y | one<br>two |'
    )
  })
})

describe('reportId', () => {
  const build = { runtime: 'python3.12', architectures: ['arm64'] }

  it.each([
    [{ source: 'services/orders' }, { source: './services/orders/' }],
    [{ source: '/home/runner/work/shop/shop/services/orders' }, { source: 'services/orders' }],
    [
      { source: 'services/orders', requirements: 'services/orders/requirements.txt' },
      { source: 'services/orders', requirements: './services/orders/requirements.txt' }
    ]
  ])('%j and %j share an id', (a, b) => {
    const workspace = '/home/runner/work/shop/shop'
    expect(reportId({ ...build, ...a }, workspace)).toBe(reportId({ ...build, ...b }, workspace))
    expect(reportId({ ...build, ...a }, workspace)).toMatch(/^[0-9a-f]{12}$/)
  })

  it('tells function sets apart', () => {
    const ids = new Set([
      reportId({ ...build, source: 'services/orders' }, '/w'),
      reportId({ ...build, source: 'services/billing' }, '/w'),
      reportId(
        {
          ...build,
          source: 'services/orders',
          requirements: 'services/orders/requirements-prod.txt'
        },
        '/w'
      )
    ])
    expect(ids.size).toBe(3)
  })

  it('tells matrix jobs of one source apart by runtime and architectures', () => {
    const source = 'services/orders'
    const ids = [
      reportId({ source, runtime: 'python3.12', architectures: ['arm64'] }, '/w'),
      reportId({ source, runtime: 'python3.12', architectures: ['x86_64'] }, '/w'),
      reportId({ source, runtime: 'python3.13', architectures: ['arm64'] }, '/w'),
      reportId({ source, runtime: 'python3.12', architectures: ['arm64', 'x86_64'] }, '/w')
    ]
    expect(new Set(ids).size).toBe(4)
    // The order architectures are listed in does not matter.
    expect(
      reportId({ source, runtime: 'python3.12', architectures: ['x86_64', 'arm64'] }, '/w')
    ).toBe(ids[3])
  })
})

describe('bytecode in the summary and the comment', () => {
  const shipped: BytecodeReport = {
    mode: 'imported',
    compiled: 'imported',
    files: 361,
    sources: 1872,
    unzippedBytes: 10_100_000,
    zippedBytes: 3_930_000,
    invalidation: 'checked-hash',
    interpreter: 'CPython 3.12.1 (python3.12 on PATH)',
    freshlyCompiled: 12,
    reused: 349,
    importTime: { withBytecodeMs: 345, withoutBytecodeMs: 1332 }
  }
  const none: BytecodeReport = {
    ...shipped,
    compiled: 'none',
    files: 0,
    unzippedBytes: 0,
    zippedBytes: 0,
    interpreter: undefined,
    importTime: undefined,
    reason: 'no Python 3.12 on this runner'
  }
  const withBytecode = (arm64: BytecodeReport, x86_64: BytecodeReport) => {
    const report = runReport('main')
    const [a, b] = report.build.architectures
    report.build.architectures = [
      { ...a!, bytecode: arm64 },
      { ...b!, bytecode: x86_64 }
    ]
    return report
  }

  it('shows per architecture what bytecode adds and the import time with and without it, or why none', () => {
    const summary = renderSummary(withBytecode(none, shipped))
    expect(summary).toContain(
      'No bytecode on arm64: no Python 3.12 on this runner.\n\n' +
        'Bytecode on x86_64: 361 .pyc files for what the handler imports at init (of 1,872 .py), +10.1 MB unzipped, +3.93 MB zipped, compiled by CPython 3.12.1 (python3.12 on PATH). ' +
        'Handler import: 1.3 s without bytecode, 345 ms with it (3.9x faster).'
    )
    expect(block(summary, '|  | _bytecode (.pyc)_')).toEqual([
      expect.stringMatching(
        /^\| {2}\| _bytecode \(\.pyc\)_ \| 0 B \(-?[\d.]+%\) \| 10\.1 MB \([\d.]+%\) \|$/
      )
    ])
    expect(renderComment(withBytecode(none, shipped))).toContain(
      'Bytecode: arm64 none (no Python 3.12 on this runner); x86_64 +10.1 MB unzipped, handler import 1.3 s → 345 ms.'
    )
  })

  it('says what was passed over, and when the import was not timed', () => {
    const fellBack: BytecodeReport = {
      ...shipped,
      mode: 'all',
      importTime: undefined,
      importTimeNote: 'an emulated interpreter does not time like Lambda',
      reason:
        'bytecode for every module (1,872 files, +39.5 MB unzipped): function + layer 270.0 MB unzipped, over Lambda’s limit; shipped the modules the handler imports at init (361 files, +10.1 MB unzipped)'
    }
    const summary = renderSummary(withBytecode(fellBack, shipped))
    expect(summary).toContain(
      'Handler import not timed: an emulated interpreter does not time like Lambda. Less than asked: bytecode for every module'
    )
  })

  it('says once that bytecode is off', () => {
    const off = { ...none, mode: 'none' as const, reason: 'bytecode is none' }
    const report = withBytecode(off, off)
    expect(renderSummary(report)).toContain(
      'Bytecode off (`bytecode: none`): every module compiles from source at each cold start.'
    )
    expect(renderComment(report)).not.toContain('Bytecode')
  })

  it('says nothing about bytecode for reports from before it shipped', () => {
    expect(renderSummary(runReport('main'))).not.toMatch(/bytecode/i)
  })
})
