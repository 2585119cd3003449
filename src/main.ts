// The pipeline, top to bottom: inputs → (read functions) → build → gate → report → deploy →
// outputs. Each stage lives in its own folder; this file only wires them.
import * as core from '@actions/core'
import { createClients } from './aws/clients.js'
import { INPUT, OUTPUT } from './constants.js'
import { InputError, UserError, errorMessage } from './errors.js'
import { buildPackages, sourceDateEpoch } from './packaging/build.js'
import { reuseKeptBytecode } from './packaging/bytecode/bytecode-store.js'
import { loadBuiltPackages } from './packaging/built-package.js'
import { deployAll, readTargets, type FunctionTarget } from './deploy/deploy.js'
import { pruneAfterDeploy } from './deploy/prune.js'
import { getInputs, type Inputs } from './inputs.js'
import { runtimeFacts, type Architecture, type RuntimeFacts } from './lambda-facts.js'
import {
  annotateGateFailures,
  checkGates,
  gateError,
  logResultLine,
  publishComment,
  publishSummary,
  reportId,
  restoreBaseReport,
  saveBaseReport,
  type RunReport
} from './report/report.js'
import { phase, phaseTimings } from './report/log.js'
import { maskEnvironmentSecrets } from './secrets.js'
import type { BuildResult, FunctionDeployResult } from './types.js'

/** What the build needs that deploy mode may read from the functions themselves. */
interface BuildTarget {
  runtime: RuntimeFacts
  architectures: Architecture[]
  handler?: string
  /** Set when the user asked for one architecture that differs from the function's. */
  switchArchitecture?: Architecture
}

/** A prebuilt package set must hold what the functions need, for the runtime they run. */
function checkPrebuilt(build: BuildResult, plan: BuildTarget): void {
  if (build.runtime !== plan.runtime.name) {
    throw new InputError(
      INPUT.packageDir,
      `the packages were built for ${build.runtime} but the functions run ${plan.runtime.name}: build for ${plan.runtime.name}.`
    )
  }
  const built = build.architectures.map((a) => a.architecture)
  const missing = plan.architectures.filter((a) => !built.includes(a))
  if (missing.length > 0) {
    throw new InputError(
      INPUT.packageDir,
      `has no ${missing.join(' or ')} package (it holds ${built.join(', ')}): build with architectures: ${[...built, ...missing].join(', ')}.`
    )
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)]
}

/** Fills runtime, architectures and handler from the functions, refusing contradictions. */
export function planFromFunctions(inputs: Inputs, targets: FunctionTarget[]): BuildTarget {
  const runtimes = unique(targets.map((t) => t.runtime).filter((r): r is string => Boolean(r)))
  for (const target of targets) {
    if (inputs.runtime && target.runtime && target.runtime !== inputs.runtime.name) {
      throw new UserError(
        `runtime: the input says ${inputs.runtime.name} but function ${target.functionName} runs ${target.runtime}. This action deploys code only and never changes a runtime: change it on the function first, or fix the input.`
      )
    }
  }
  let runtime = inputs.runtime
  if (!runtime) {
    if (runtimes.length !== 1) {
      throw new UserError(
        `runtime: the functions run ${runtimes.join(', ') || 'no Python runtime (container images are not supported)'}; set the runtime input, or deploy them in separate steps.`
      )
    }
    runtime = runtimeFacts(runtimes[0]!)
    if (!runtime) {
      throw new UserError(
        `runtime: function runtime ${runtimes[0]} is not a Python runtime this action builds for.`
      )
    }
  }
  const functionArchitectures = unique(targets.map((t) => t.architecture))
  let architectures = inputs.architectures ?? functionArchitectures
  let switchArchitecture: Architecture | undefined
  if (
    inputs.architectures?.length === 1 &&
    !functionArchitectures.includes(inputs.architectures[0]!)
  ) {
    switchArchitecture = inputs.architectures[0]
    core.info(
      `architectures: switching ${targets.map((t) => t.functionName).join(', ')} to ${switchArchitecture} with the code update.`
    )
  } else if (
    inputs.architectures &&
    functionArchitectures.some((a) => !inputs.architectures!.includes(a))
  ) {
    architectures = unique([...inputs.architectures, ...functionArchitectures])
  }
  const handlers = unique(targets.map((t) => t.handler).filter((h): h is string => Boolean(h)))
  return {
    runtime,
    architectures,
    handler: inputs.handler ?? (handlers.length === 1 ? handlers[0] : undefined),
    switchArchitecture
  }
}

function perFunction(
  results: FunctionDeployResult[],
  pick: (r: FunctionDeployResult) => string | undefined
): string {
  if (results.length === 1) return pick(results[0]!) ?? ''
  return JSON.stringify(Object.fromEntries(results.map((r) => [r.functionName, pick(r) ?? null])))
}

function setBuildOutputs(build: BuildResult, deployedArchitecture?: Architecture): void {
  const packages = Object.fromEntries(
    build.architectures.map((arch) => [arch.architecture, arch.packages])
  )
  core.setOutput(OUTPUT.packages, JSON.stringify(packages))
  const main =
    build.architectures.find((a) => a.architecture === deployedArchitecture) ??
    build.architectures[0]
  if (!main) return
  core.setOutput(OUTPUT.zipPath, main.packages.function.path)
  core.setOutput(OUTPUT.codeSha256, main.packages.function.codeSha256)
  core.setOutput(OUTPUT.size, main.packages.function.size)
  core.setOutput(
    OUTPUT.unzippedSize,
    main.packages.function.unzippedSize + (main.packages.layer?.unzippedSize ?? 0)
  )
  core.setOutput(OUTPUT.cacheHit, String(build.cacheHit))
}

/** `changed` is about the code: a failed function changed it only if a version came of it. */
const DEPLOY_OUTPUTS: [string, (result: FunctionDeployResult) => string | undefined][] = [
  [
    OUTPUT.changed,
    (r) => String(r.status === 'deployed' || (r.status === 'failed' && r.version !== undefined))
  ],
  [OUTPUT.version, (r) => r.version],
  [OUTPUT.versionArn, (r) => r.versionArn],
  [OUTPUT.aliasArn, (r) => r.aliasArn],
  [OUTPUT.layerVersionArn, (r) => r.layerVersionArn]
]

function setDeployOutputs(results: FunctionDeployResult[]): void {
  for (const [name, pick] of DEPLOY_OUTPUTS) core.setOutput(name, perFunction(results, pick))
}

function runUrl(env = process.env): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
}

/** Job summary, then the sticky pull-request comment (pull-request events only). */
async function publishReport(report: RunReport, inputs: Inputs): Promise<void> {
  report.timings = phaseTimings()
  await publishSummary(report)
  if (inputs.comment) await publishComment(report, inputs.githubToken)
}

export async function run(): Promise<void> {
  try {
    maskEnvironmentSecrets()
    const inputs = getInputs()
    if (inputs.githubToken) core.setSecret(inputs.githubToken)
    const epoch = sourceDateEpoch(process.env.SOURCE_DATE_EPOCH)

    const prebuilt = inputs.packageDir
      ? await phase('Load built packages', () => loadBuiltPackages(inputs.packageDir!))
      : undefined

    const clients = inputs.mode === 'deploy' ? createClients() : undefined
    // wait-timeout bounds every wait on Lambda: updates in progress and SnapStart versions.
    const deployDeps = { waitTimeoutMs: inputs.waitTimeoutMs }
    const targets = clients
      ? await phase('Read functions', () => readTargets(inputs.functionNames, clients, deployDeps))
      : []
    const plan: BuildTarget = clients
      ? planFromFunctions(inputs, targets)
      : { runtime: inputs.runtime!, architectures: inputs.architectures!, handler: inputs.handler }

    const build =
      prebuilt ??
      (await phase(`Build ${plan.runtime.name} ${plan.architectures.join(' + ')}`, () =>
        buildPackages({
          runtime: plan.runtime,
          architectures: plan.architectures,
          source: inputs.source,
          requirements: inputs.requirements,
          extras: inputs.extras,
          groups: inputs.groups,
          handler: plan.handler,
          importCheck: inputs.importCheck,
          bytecode: inputs.bytecode,
          reuseKeptBytecode: reuseKeptBytecode(inputs.mode),
          limits: { maxSize: inputs.maxSize, maxUnzippedSize: inputs.maxUnzippedSize },
          packageType: inputs.packageType,
          exclude: inputs.exclude,
          slim: inputs.slim,
          installer: inputs.installer,
          useActionsCache: inputs.cache,
          allowLinuxWheels: inputs.allowLinuxWheels,
          outputDir: inputs.outputDir,
          sourceDateEpoch: epoch
        })
      ))
    if (prebuilt) checkPrebuilt(prebuilt, plan)
    setBuildOutputs(build, plan.switchArchitecture ?? targets[0]?.architecture)

    const dependencyFile = build.dependencies?.file ?? inputs.requirements
    const id = reportId({ source: inputs.source, requirements: dependencyFile })
    const base = await restoreBaseReport({ id })
    const report: RunReport = {
      mode: inputs.mode,
      build,
      id,
      title: inputs.functionNames.join(', ') || undefined,
      limits: { maxSize: inputs.maxSize, maxUnzippedSize: inputs.maxUnzippedSize },
      base: base.report,
      baseBranch: base.baseBranch,
      baseCommit: base.commit,
      runUrl: runUrl()
    }
    const failures = checkGates(report)
    if (failures.length > 0) {
      await publishReport(report, inputs)
      annotateGateFailures(failures, dependencyFile)
      throw gateError(failures)
    }
    await saveBaseReport({ id, reportPath: build.reportPath })

    if (clients) {
      report.deploys = await phase('Deploy', () =>
        deployAll(
          targets,
          build,
          {
            runtime: plan.runtime.name,
            // A package-dir build says itself whether it has a layer.
            packageType: build.packageType,
            layerName: inputs.layerName,
            s3Bucket: inputs.s3Bucket,
            s3Prefix: inputs.s3Prefix,
            publish: inputs.publish,
            alias: inputs.alias,
            smokePayload: inputs.smokePayload,
            smokeExpect: inputs.smokeExpect,
            switchArchitecture: plan.switchArchitecture
          },
          clients,
          deployDeps
        )
      )
      setDeployOutputs(report.deploys)
      const deploys = report.deploys
      // Only after the deploy stage: each function's alias has moved (or its deploy failed and
      // it is left alone); a pruning failure is a warning, never a failed step.
      if (inputs.keepVersions !== undefined || inputs.keepLayerVersions !== undefined) {
        report.layerPrune = await phase('Prune versions', () =>
          pruneAfterDeploy(
            targets,
            deploys,
            {
              keepVersions: inputs.keepVersions,
              keepLayerVersions: inputs.keepLayerVersions,
              layerName: inputs.layerName
            },
            clients,
            deployDeps
          )
        )
      }
    }
    await publishReport(report, inputs)
    logResultLine(report)
    const failed = (report.deploys ?? []).filter((r) => r.status === 'failed')
    if (failed.length > 0) {
      throw new UserError(failed.map((r) => `${r.functionName}: ${r.error}`).join('\n'))
    }
  } catch (error) {
    if (error instanceof Error && error.stack && !(error instanceof UserError))
      core.debug(error.stack)
    core.setFailed(errorMessage(error))
  }
}
