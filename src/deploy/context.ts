// What every deploy step needs besides its own arguments: the clients, a log, and time
// (sleep, clock, randomness) that tests replace so waits and backoffs run instantly.
import * as core from '@actions/core'
import { logBlock } from '../report/log.js'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import type { S3Client } from '@aws-sdk/client-s3'
import type { AwsClients } from '../aws/clients.js'

export type Sleep = (ms: number) => Promise<void>

export interface DeployLog {
  info(message: string): void
  warning(message: string): void
  /** A collapsible block written at once, so concurrent deployments never interleave in it. */
  group(title: string, body: string): void
}

/** Optional replacements, for tests and the lead's wiring. */
export interface DeployDeps {
  sleep?: Sleep
  now?: () => number
  /** In [0, 1): jitter of retry backoffs. */
  random?: () => number
  log?: DeployLog
  /** Bound of each wait (LastUpdateStatus, a version's State): the wait-timeout input. */
  waitTimeoutMs?: number
}

export interface DeployContext {
  lambda: LambdaClient
  s3: S3Client
  sleep: Sleep
  now: () => number
  random: () => number
  log: DeployLog
  waitTimeoutMs: number
  /** Time spent in waits, added up for one function's deployment when set (the summary's). */
  waited?: { ms: number }
}

/**
 * Lambda updates take seconds, VPC functions up to a few minutes, SnapStart snapshots several
 * minutes: the wait-timeout input's default.
 */
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000

const actionsLog: DeployLog = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  group: logBlock
}

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function deployContext(clients: AwsClients, deps: DeployDeps = {}): DeployContext {
  return {
    lambda: clients.lambda,
    s3: clients.s3,
    sleep: deps.sleep ?? realSleep,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    log: deps.log ?? actionsLog,
    waitTimeoutMs: deps.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  }
}
