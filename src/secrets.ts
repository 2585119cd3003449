// Secrets the runner must mask before anything can print them. core.setSecret registers a value
// with `::add-mask::`; the runner then replaces it with *** in every later log line. The AWS
// credentials are usually masked already by configure-aws-credentials, but not when a workflow
// sets them as plain environment variables; index passwords in PIP_*/UV_* URLs and proxy
// passwords in HTTPS_PROXY/HTTP_PROXY (`http://user:secret@proxy:3128`, which pip and uv inherit)
// are masked here too, before any stage runs, and again by the resolve stage for the
// requirements file.
import * as core from '@actions/core'
import { proxyUrlTexts } from './net/proxy-env.js'
import { findCredentials } from './packaging/requirements/requirements-file.js'

type Env = Readonly<Record<string, string | undefined>>

/** Variables whose whole value is a secret. */
export const SECRET_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const

/** Variables that may hold URLs with credentials (index URLs, find-links). */
const URL_VARIABLES = /^(PIP|UV)_/

/**
 * Credentials inside URLs of PIP_ and UV_ variables (index URLs, find-links) and of the proxy
 * variables (a proxy given without `http://` too), each once.
 */
export function indexUrlSecrets(env: Env): string[] {
  const found = new Set<string>()
  const texts = Object.entries(env)
    .filter(([name, value]) => value !== undefined && URL_VARIABLES.test(name))
    .map(([, value]) => value as string)
  for (const text of [...texts, ...proxyUrlTexts(env)]) {
    for (const secret of findCredentials(text)) found.add(secret)
  }
  return [...found]
}

/** The secret values found in `env`, each once. */
export function environmentSecrets(env: Env): string[] {
  const whole = SECRET_VARIABLES.map((name) => env[name]?.trim()).filter((v): v is string => !!v)
  return [...new Set([...whole, ...indexUrlSecrets(env)])]
}

export function maskEnvironmentSecrets(env: Env = process.env): void {
  for (const secret of environmentSecrets(env)) core.setSecret(secret)
}

/**
 * Values that cannot hide a secret worth the name: masking them would hide those characters all
 * over the log (`***` for every `true`, every `8080`).
 */
const NOT_SECRET =
  /^(?:.{0,3}|true|false|yes|no|on|off|none|null|-?\d+(?:\.\d+)?|debug|info|warn|warning|error|critical|trace)$/i

/**
 * The values of a function's variables to mask (its configuration in deploy mode, the import-env
 * input in build mode): each value, and each line of a multi-line one (the runner masks line by
 * line), but those NOT_SECRET spares; longest first.
 */
export function variableSecrets(values: Iterable<string>): string[] {
  const found = new Set<string>()
  const add = (text: string) => {
    const value = text.trim()
    if (!NOT_SECRET.test(value)) found.add(value)
  }
  for (const value of values) {
    add(value)
    if (value.includes('\n')) value.split(/\r?\n/).forEach(add)
  }
  return [...found].sort((x, y) => y.length - x.length)
}

export function maskVariableValues(values: Iterable<string>): void {
  for (const secret of variableSecrets(values)) core.setSecret(secret)
}

/** `text` with every secret replaced by `***`, longest first (as the runner masks). */
export function redact(text: string, secrets: readonly string[]): string {
  return [...secrets]
    .sort((x, y) => y.length - x.length)
    .reduce((masked, secret) => masked.split(secret).join('***'), text)
}
