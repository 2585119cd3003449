// Puts $LATEST back on the code of the version the alias served when a deployment is rejected
// (failed smoke invocation, unhealthy shift, cancellation): UpdateFunctionCode ran before those,
// so everything that invokes the function unqualified would otherwise run the rejected code.
// GetFunction with the version as Qualifier gives a presigned URL of its code; it is downloaded
// through the action's agents, checked against the version's CodeSha256, and uploaded again as
// any package is (directly, or through s3-bucket when large). Layers and architecture go back
// too when this deployment changed them. Never throws: what happened is the result.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetFunctionCommand } from '@aws-sdk/client-lambda'
import { errorMessage } from '../errors.js'
import type { Architecture } from '../lambda-facts.js'
import { formatSize } from '../report/sizes.js'
import type { DeployContext } from './context.js'
import { settledConfiguration } from './function-config.js'
import { attachLayers } from './layer.js'
import { callAws } from './retry.js'
import { updateFunctionCode } from './update-code.js'
import { planUpload, stageCode } from './upload.js'

export interface RestoreRequest {
  /** How the calls name the function. */
  functionId: string
  functionName: string
  /** The rejected code: $LATEST is restored only while it still holds it. */
  rejectedCodeSha256: string
  /** The version whose code goes back on $LATEST; undefined: none is known. */
  version?: string
  /** Why no version is known, for the report. */
  noVersionBecause?: string
  s3Bucket?: string
  s3Prefix: string
}

export interface LatestRestore {
  /**
   * `restored`; `unneeded` ($LATEST already runs that code); `left` ($LATEST holds someone
   * else's code now, or there is nothing to restore from); `failed` (it still runs the rejected
   * code).
   */
  status: 'restored' | 'unneeded' | 'left' | 'failed'
  /** One sentence: what $LATEST runs now, and why. */
  detail: string
}

function shortSha(codeSha256: string): string {
  return codeSha256.slice(0, 12)
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}

export async function restoreLatest(
  ctx: DeployContext,
  request: RestoreRequest
): Promise<LatestRestore> {
  const { functionId, functionName: name } = request
  if (request.version === undefined) {
    return {
      status: 'left',
      detail:
        `$LATEST still runs the rejected code (CodeSha256 ${shortSha(request.rejectedCodeSha256)}): ` +
        `${request.noVersionBecause ?? 'no earlier version is known to restore from'}`
    }
  }
  const version = request.version
  try {
    const latest = await settledConfiguration(ctx, functionId)
    if (latest.CodeSha256 !== request.rejectedCodeSha256) {
      return {
        status: 'left',
        detail:
          `$LATEST was left alone: it holds other code now (CodeSha256 ` +
          `${shortSha(latest.CodeSha256 ?? '?')}), not this deployment's; another deployment ran meanwhile?`
      }
    }
    const served = await callAws(ctx, 'lambda:GetFunction', `${name}:${version}`, () =>
      ctx.lambda.send(new GetFunctionCommand({ FunctionName: functionId, Qualifier: version }))
    )
    const codeSha256 = served.Configuration?.CodeSha256
    const location = served.Code?.Location
    if (!codeSha256 || !location) {
      throw new Error(`GetFunction of version ${version} returned no code location`)
    }
    const servedLayers = (served.Configuration?.Layers ?? []).flatMap((l) => (l.Arn ? [l.Arn] : []))
    const latestLayers = (latest.Layers ?? []).flatMap((l) => (l.Arn ? [l.Arn] : []))
    const architecture = served.Configuration?.Architectures?.[0] as Architecture | undefined
    const switchBack =
      architecture !== undefined && architecture !== (latest.Architectures?.[0] ?? 'x86_64')
    const codeBack = codeSha256 !== latest.CodeSha256 || switchBack
    const layersBack = !sameList(servedLayers, latestLayers)
    if (!codeBack && !layersBack) {
      return {
        status: 'unneeded',
        detail: `$LATEST already runs the code of version ${version}`
      }
    }

    let revisionId = latest.RevisionId
    let how = ''
    if (codeBack) {
      const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'lpd-restore-'))
      try {
        const path = join(dir, `${name}-${version}.zip`)
        ctx.log.info(`${name}: downloading the code of version ${version} to restore $LATEST`)
        const got = await ctx.download(location, path)
        if (got.sha256 !== codeSha256) {
          throw new Error(
            `the code downloaded for version ${version} has CodeSha256 ${got.sha256}, not ` +
              `${codeSha256}: the download was altered or cut short`
          )
        }
        const pkg = { path, size: got.size, unzippedSize: 0, codeSha256 }
        const label = `function ${name} (version ${version}'s code)`
        const plan = planUpload(got.size, codeSha256, {
          ...(request.s3Bucket ? { s3Bucket: request.s3Bucket } : {}),
          s3Prefix: request.s3Prefix,
          owner: functionId,
          label
        })
        const source = await stageCode(ctx, pkg, plan, label)
        const updated = await updateFunctionCode(ctx, {
          functionId,
          functionName: name,
          source,
          codeSha256,
          ...(revisionId ? { revisionId } : {}),
          ...(switchBack ? { architecture } : {})
        })
        revisionId = updated.RevisionId
        how = ` (${formatSize(got.size)}, ${plan.method === 's3' ? 'through S3' : 'direct upload'})`
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
    if (layersBack) await attachLayers(ctx, functionId, name, servedLayers, revisionId)
    const parts = [
      ...(codeBack
        ? [`the code of version ${version} (CodeSha256 ${shortSha(codeSha256)})${how}`]
        : []),
      ...(switchBack ? [`architecture ${architecture}`] : []),
      ...(layersBack ? [`its layers (${servedLayers.join(', ') || 'none'})`] : [])
    ]
    return { status: 'restored', detail: `$LATEST restored to ${parts.join(', ')}` }
  } catch (error) {
    return {
      status: 'failed',
      detail:
        `$LATEST still runs the rejected code (CodeSha256 ${shortSha(request.rejectedCodeSha256)}): ` +
        `restoring the code of version ${version} failed: ${errorMessage(error)}. Deploy that ` +
        `version's code again (or a fix) to put $LATEST right`
    }
  }
}
