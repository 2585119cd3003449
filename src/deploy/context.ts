// What every deploy step needs besides its own arguments: the clients, a log, time (sleep,
// clock, randomness) that tests replace so waits and backoffs run instantly, and the signal that
// says the job was cancelled.
import * as core from '@actions/core'
import { setTimeout as delay } from 'node:timers/promises'
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import type { S3Client } from '@aws-sdk/client-s3'
import type { AwsClients } from '../aws/clients.js'
import { downloadThrough, type Download } from '../net/download.js'
import { logBlock } from '../report/log.js'

/** Sleeps `ms`; with a signal, ends early (resolving) when it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export interface DeployLog {
  info(message: string): void
  warning(message: string): void
  /**
   * Text someone else wrote (a function's log tail), in a collapsible block written at once so
   * concurrent deployments never interleave in it. Printed inert: workflow commands in it
   * (`::add-mask::`, `::set-output::`) are not run.
   */
  relay(title: string, text: string): void
  /** Registers a secret value: the runner prints *** for it from now on (core.setSecret). */
  mask(value: string): void
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
  /** Aborts when the job is cancelled (SIGINT, SIGTERM): the release rolls back. */
  signal?: AbortSignal
  /** How a version's code is fetched from its presigned URL; through the clients' agents. */
  download?: Download
}

export interface DeployContext {
  lambda: LambdaClient
  s3: S3Client
  cloudwatch: CloudWatchClient
  download: Download
  signal?: AbortSignal
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
  relay: (title, text) => logBlock(title, text),
  mask: (value) => core.setSecret(value)
}

/** A timer that an abort clears (nothing keeps the process alive after a cancellation). */
const realSleep: Sleep = (ms, signal) =>
  delay(ms, undefined, signal ? { signal } : {}).catch((error: unknown) => {
    if (!signal?.aborted) throw error
  })

export function deployContext(clients: AwsClients, deps: DeployDeps = {}): DeployContext {
  return {
    lambda: clients.lambda,
    s3: clients.s3,
    cloudwatch: clients.cloudwatch,
    download: deps.download ?? downloadThrough(clients.agents),
    ...(deps.signal ? { signal: deps.signal } : {}),
    sleep: deps.sleep ?? realSleep,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    log: deps.log ?? actionsLog,
    waitTimeoutMs: deps.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  }
}
