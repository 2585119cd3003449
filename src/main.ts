// The pipeline, top to bottom: inputs → (read functions) → build → gate → report → deploy →
// outputs. Each stage lives in its own folder; this file only wires them.
import * as core from '@actions/core'
import { createClients } from './aws/clients.js'
import { INPUT, OUTPUT } from './constants.js'
import { InputError, UserError, errorMessage } from './errors.js'
import { buildPackages, sourceDateEpoch } from './packaging/build.js'
import { loadBuiltPackages } from './packaging/built-package.js'
import { trustsKeptFiles } from './packaging/stores/kept-files.js'
import { watchCancellation } from './deploy/cancel.js'
import { deployAll, readTargets, type FunctionTarget } from './deploy/deploy.js'
import { pruneAfterDeploy } from './deploy/prune.js'
import { checkHealthSources } from './deploy/traffic/preflight.js'
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
import { deployOutputs } from './outputs.js'
import {
  buildModeEnvironment,
  buildRegion,
  deployModeEnvironment,
  type FunctionEnvironment
} from './packaging/verify/import-environment.js'
import { readEventPayload } from './report/base-report.js'
import { buildProvenance, thisRun, type BuildProvenance } from './report/provenance.js'
import { maskEnvironmentSecrets, maskVariableValues } from './secrets.js'
import { functionNameOf, regionOf } from './deploy/function-config.js'
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

/**
 * What the import check knows of the function: deploy mode reads it from the functions (their
 * variables too), build mode from the inputs.
 */
function importEnvironmentOf(inputs: Inputs, targets: FunctionTarget[]): FunctionEnvironment {
  if (targets.length === 0) {
    const name = inputs.functionNames[0]
    return buildModeEnvironment(
      inputs.importEnv,
      name === undefined ? undefined : functionNameOf(name),
      process.env
    )
  }
  return deployModeEnvironment(
    targets.map((t) => ({
      functionName: functionNameOf(t.functionArn),
      region: regionOf(t.functionArn) ?? buildRegion(process.env),
      ...(t.memorySize === undefined ? {} : { memorySizeMb: t.memorySize }),
      variables: t.environment ?? {}
    }))
  )
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

function setDeployOutputs(results: FunctionDeployResult[]): void {
  for (const [name, value] of Object.entries(deployOutputs(results))) core.setOutput(name, value)
}

function runUrl(env = process.env): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
}

/** What report.json records of where this build runs; undefined outside GitHub Actions. */
async function buildProvenanceOf(env: NodeJS.ProcessEnv): Promise<BuildProvenance | undefined> {
  const run = thisRun(env, await readEventPayload(env))
  return run ? buildProvenance(run) : undefined
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
    maskVariableValues(Object.values(inputs.importEnv))
    const epoch = sourceDateEpoch(process.env.SOURCE_DATE_EPOCH)

    const loaded = inputs.packageDir
      ? await phase('Load built packages', () =>
          loadBuiltPackages(inputs.packageDir!, { githubToken: inputs.githubToken })
        )
      : undefined
    if (loaded) {
      const announce = loaded.trust.kind === 'not checked' ? core.warning : core.info
      announce(`package-dir: ${loaded.trust.note}`)
    }
    const prebuilt = loaded?.build

    const clients = inputs.mode === 'deploy' ? createClients() : undefined
    // wait-timeout bounds every wait on Lambda: updates in progress and SnapStart versions.
    const deployDeps = { waitTimeoutMs: inputs.waitTimeoutMs }
    const targets = clients
      ? await phase('Read functions', async () => {
          const found = await readTargets(inputs.functionNames, clients, deployDeps)
          // Read-only too: missing alarms and a denied GetMetricData fail before the build.
          if (inputs.traffic.kind !== 'all-at-once' && inputs.alias) {
            await checkHealthSources(found, inputs.alias, inputs.health, clients, deployDeps)
          }
          return found
        })
      : []
    // The functions' variables may hold secrets: masked before anything else can print them.
    maskVariableValues(targets.flatMap((t) => Object.values(t.environment ?? {})))
    const plan: BuildTarget = clients
      ? planFromFunctions(inputs, targets)
      : { runtime: inputs.runtime!, architectures: inputs.architectures!, handler: inputs.handler }

    const build =
      prebuilt ??
      (await phase(`Build ${plan.runtime.name} ${plan.architectures.join(' + ')}`, async () =>
        buildPackages({
          runtime: plan.runtime,
          architectures: plan.architectures,
          source: inputs.source,
          requirements: inputs.requirements,
          extras: inputs.extras,
          groups: inputs.groups,
          handler: plan.handler,
          importCheck: inputs.importCheck,
          importEnvironment: importEnvironmentOf(inputs, targets),
          python: inputs.python,
          bytecode: inputs.bytecode,
          limits: { maxSize: inputs.maxSize, maxUnzippedSize: inputs.maxUnzippedSize },
          packageType: inputs.packageType,
          exclude: inputs.exclude,
          slim: inputs.slim,
          installer: inputs.installer,
          useActionsCache: inputs.cache,
          // A deploy trusts the Actions cache only as far as cache-in-deploy says, and never what
          // another job on the runner could have planted (issue 18, item 5).
          cacheRestore: inputs.mode === 'deploy' ? inputs.cacheInDeploy : 'any',
          trustKeptFiles: trustsKeptFiles(inputs.mode),
          allowLinuxWheels: inputs.allowLinuxWheels,
          outputDir: inputs.outputDir,
          sourceDateEpoch: epoch,
          provenance: await buildProvenanceOf(process.env)
        })
      ))
    if (prebuilt) checkPrebuilt(prebuilt, plan)
    setBuildOutputs(build, plan.switchArchitecture ?? targets[0]?.architecture)

    const dependencyFile = build.dependencies?.file ?? inputs.requirements
    const id = reportId({
      source: inputs.source,
      requirements: dependencyFile,
      runtime: build.runtime,
      architectures: build.architectures.map((arch) => arch.architecture)
    })
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
      ...(loaded ? { packageOrigin: loaded.trust } : {}),
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
      // From here to the end of the deploy stage, SIGINT/SIGTERM (a cancelled job) roll back
      // instead of ending the process.
      const cancellation = watchCancellation((message) => core.warning(message))
      try {
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
              s3BucketOwner: inputs.s3BucketOwner,
              s3Prefix: inputs.s3Prefix,
              publish: inputs.publish,
              alias: inputs.alias,
              smokePayload: inputs.smokePayload,
              smokeExpect: inputs.smokeExpect,
              traffic: inputs.traffic,
              health: inputs.health,
              switchArchitecture: plan.switchArchitecture
            },
            clients,
            { ...deployDeps, signal: cancellation.signal }
          )
        )
      } finally {
        cancellation.dispose()
      }
      const cancelled = cancellation.signal.aborted
      setDeployOutputs(report.deploys)
      const deploys = report.deploys
      // Only after the deploy stage: each function's alias has moved (or its deploy failed and
      // it is left alone); a pruning failure is a warning, never a failed step.
      if (
        !cancelled &&
        (inputs.keepVersions !== undefined || inputs.keepLayerVersions !== undefined)
      ) {
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
