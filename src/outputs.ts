// The deploy's outputs, pure: each output keeps one type however many functions were deployed
// (shared/INTERFACE.md). Per-function values are in `functions`, JSON in every case; the plain
// outputs describe the one function, and stay empty when there are several.
import { OUTPUT } from './constants.js'
import type { FunctionDeployResult } from './types.js'

/** One function's entry in the `functions` output. */
export interface FunctionOutput {
  status: FunctionDeployResult['status']
  changed: boolean
  version: string | null
  versionArn: string | null
  aliasArn: string | null
  layerVersionArn: string | null
  rollout: string | null
  servingVersion: string | null
}

/** The code changed: a new version came of it, even if a later step (smoke) failed. */
function codeChanged(result: FunctionDeployResult): boolean {
  return (
    result.status === 'deployed' || (result.status === 'failed' && result.version !== undefined)
  )
}

function functionOutput(result: FunctionDeployResult): FunctionOutput {
  return {
    status: result.status,
    changed: codeChanged(result),
    version: result.version ?? null,
    versionArn: result.versionArn ?? null,
    aliasArn: result.aliasArn ?? null,
    layerVersionArn: result.layerVersionArn ?? null,
    rollout: result.rollout ?? null,
    servingVersion: result.servingVersion ?? null
  }
}

/** Output name → value, for `core.setOutput`. */
export function deployOutputs(results: FunctionDeployResult[]): Record<string, string> {
  const only = results.length === 1 ? results[0] : undefined
  return {
    [OUTPUT.functions]: JSON.stringify(
      Object.fromEntries(results.map((result) => [result.functionName, functionOutput(result)]))
    ),
    [OUTPUT.changed]: String(results.some(codeChanged)),
    [OUTPUT.version]: only?.version ?? '',
    [OUTPUT.versionArn]: only?.versionArn ?? '',
    [OUTPUT.aliasArn]: only?.aliasArn ?? '',
    [OUTPUT.layerVersionArn]: only?.layerVersionArn ?? '',
    [OUTPUT.rollout]: only?.rollout ?? '',
    [OUTPUT.servingVersion]: only?.servingVersion ?? ''
  }
}
