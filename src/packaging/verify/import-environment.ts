// The environment the handler is imported in, built from scratch: the variables Lambda sets
// (lambda-facts.ts), the function's own (its configuration in deploy mode, the import-env input in
// build mode), and credentials that are obviously not real. Nothing of the runner's environment
// reaches the handler's code: no AWS credentials, no GitHub token, no OIDC request variables.
// Pure.
import {
  DEFAULT_MEMORY_SIZE_MB,
  lambdaRuntimeVariables,
  RESERVED_ENVIRONMENT_VARIABLES,
  type RuntimeFacts,
  type RuntimeFolders
} from '../../lambda-facts.js'

/** What the import check knows of the function(s) the package is for. */
export interface FunctionEnvironment {
  functionName: string
  region: string
  memorySizeMb: number
  /** The function's own variables. Their values may be secrets: never logged nor reported. */
  variables: Readonly<Record<string, string>>
  /** Where `variables` came from, for messages. */
  variablesFrom: 'import-env' | 'function-configuration'
}

/** Region for builds that read no function: the runner's AWS region, else us-east-1. */
export function buildRegion(env: Readonly<Record<string, string | undefined>>): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'
}

/** The function name the check uses when it reads none (build mode without function-name). */
export const BUILD_FUNCTION_NAME = 'import-check'

/** Build mode: the import-env input and, when given, the first function name. */
export function buildModeEnvironment(
  variables: Readonly<Record<string, string>>,
  functionName: string | undefined,
  env: Readonly<Record<string, string | undefined>>
): FunctionEnvironment {
  return {
    functionName: functionName ?? BUILD_FUNCTION_NAME,
    region: buildRegion(env),
    memorySizeMb: DEFAULT_MEMORY_SIZE_MB,
    variables,
    variablesFrom: 'import-env'
  }
}

/** One function as deploy mode read it. */
export interface ConfiguredFunction {
  functionName: string
  region: string
  memorySizeMb?: number
  variables: Readonly<Record<string, string>>
}

/**
 * Deploy mode: the function's configured variables. One package serves every function named, so
 * with several the check gets only the variables they all set (the first one's value): a handler
 * that reads one that some function lacks fails there, as it would on that function.
 */
export function deployModeEnvironment(
  functions: readonly ConfiguredFunction[]
): FunctionEnvironment {
  const [first, ...others] = functions
  if (first === undefined) throw new Error('deploy mode reads at least one function')
  const variables = Object.fromEntries(
    Object.entries(first.variables).filter(([name]) => others.every((f) => name in f.variables))
  )
  return {
    functionName: first.functionName,
    region: first.region,
    memorySizeMb: first.memorySizeMb ?? DEFAULT_MEMORY_SIZE_MB,
    variables,
    variablesFrom: 'function-configuration'
  }
}

/**
 * Credentials in the shape of a role's, so `boto3.client('s3')` at import works with no network;
 * they open nothing, and an API call at import fails as it would without permission.
 */
export const PLACEHOLDER_CREDENTIALS: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'ASIAIMPORTCHECKONLY0',
  AWS_SECRET_ACCESS_KEY: 'import-check-placeholder-not-a-real-secret',
  AWS_SESSION_TOKEN: 'import-check-placeholder-not-a-real-token'
}

export interface ImportEnvironmentRequest {
  runtime: RuntimeFacts
  handler: string
  function: FunctionEnvironment
  /** This machine's copies of Lambda's folders. */
  folders: RuntimeFolders
  /** What the interpreter itself needs (an emulator's settings, its own library folder). */
  interpreterEnv: Readonly<Record<string, string>>
  /** The runner's LD_LIBRARY_PATH: a Python from actions/setup-python finds libpython by it. */
  runnerLibraryPath?: string
}

function joinPaths(...paths: (string | undefined)[]): string {
  return paths.filter((p): p is string => p !== undefined && p !== '').join(':')
}

export function importEnvironment(request: ImportEnvironmentRequest): Record<string, string> {
  const lambda = lambdaRuntimeVariables(
    request.runtime,
    { ...request.function, handler: request.handler },
    request.folders
  )
  // A function may set PATH, LANG, TZ, LD_LIBRARY_PATH or PYTHONPATH, never a reserved name
  // (Lambda and inputs.ts refuse them): its variables come between the two.
  const reserved = Object.fromEntries(
    Object.entries(lambda).filter(([name]) => RESERVED_ENVIRONMENT_VARIABLES.includes(name))
  )
  const env: Record<string, string> = {
    // No ~/.aws of the runner: Lambda has none.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...lambda,
    ...request.function.variables,
    ...reserved,
    ...PLACEHOLDER_CREDENTIALS
  }
  for (const [name, value] of Object.entries(request.interpreterEnv)) {
    env[name] = name === 'LD_LIBRARY_PATH' ? joinPaths(env.LD_LIBRARY_PATH, value) : value
  }
  env.LD_LIBRARY_PATH = joinPaths(env.LD_LIBRARY_PATH, request.runnerLibraryPath)
  return env
}
