import { describe, expect, it } from 'vitest'
import {
  RESERVED_ENVIRONMENT_VARIABLES,
  RUNTIMES,
  lambdaRuntimeVariables
} from '../../src/lambda-facts.js'
import {
  buildModeEnvironment,
  deployModeEnvironment,
  importEnvironment,
  PLACEHOLDER_CREDENTIALS,
  type FunctionEnvironment
} from '../../src/packaging/verify/import-environment.js'
import { runtimeNamed } from '../helpers/runtimes.js'

const folders = {
  taskRoot: '/work/check/task',
  layerRoot: '/work/check/opt',
  runtimeDir: '/work/check/runtime',
  interpreterBin: '/opt/hostedtoolcache/Python/3.12.7/x64/bin'
}

const orders: FunctionEnvironment = {
  functionName: 'orders-api',
  region: 'eu-west-1',
  memorySizeMb: 512,
  variables: { TABLE_NAME: 'orders', TZ: 'Europe/Paris' },
  variablesFrom: 'function-configuration'
}

describe("Lambda's own variables", () => {
  it('are set for the runtime, the function and the folders given', () => {
    expect(
      lambdaRuntimeVariables(
        runtimeNamed('python3.12'),
        {
          functionName: 'orders-api',
          region: 'eu-west-1',
          memorySizeMb: 512,
          handler: 'orders/handler.handler'
        },
        folders
      )
    ).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders-api',
      AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]00000000000000000000000000000000',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_python3.12',
      LAMBDA_TASK_ROOT: '/work/check/task',
      LAMBDA_RUNTIME_DIR: '/work/check/runtime',
      _HANDLER: 'orders/handler.handler',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/opt/hostedtoolcache/Python/3.12.7/x64/bin:/usr/local/bin:/usr/bin:/bin:/work/check/opt/bin',
      LD_LIBRARY_PATH: '/work/check/task:/work/check/task/lib:/work/check/opt/lib',
      PYTHONPATH: '/work/check/runtime'
    })
  })

  it.each(RUNTIMES.map((r) => [r.name]))('name the execution environment of %s', (name) => {
    const variables = lambdaRuntimeVariables(
      runtimeNamed(name),
      { functionName: 'f', region: 'us-east-1', memorySizeMb: 128, handler: 'app.handler' },
      folders
    )
    expect(variables.AWS_EXECUTION_ENV).toBe(`AWS_Lambda_${name}`)
  })
})

describe('the environment of the import', () => {
  const env = importEnvironment({
    runtime: runtimeNamed('python3.12'),
    handler: 'orders/handler.handler',
    function: orders,
    folders,
    interpreterEnv: {}
  })

  it("holds Lambda's variables, the function's own and placeholder credentials, nothing else", () => {
    expect(Object.keys(env).sort()).toEqual(
      [
        ...Object.keys(
          lambdaRuntimeVariables(runtimeNamed('python3.12'), { ...orders, handler: 'x.y' }, folders)
        ),
        'TABLE_NAME',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_CONFIG_FILE',
        'AWS_SHARED_CREDENTIALS_FILE'
      ].sort()
    )
    expect(env).toMatchObject({
      ...PLACEHOLDER_CREDENTIALS,
      TABLE_NAME: 'orders',
      AWS_REGION: 'eu-west-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null'
    })
  })

  it('lets the function set TZ (Lambda does), never a reserved variable', () => {
    const sneaky = importEnvironment({
      runtime: runtimeNamed('python3.12'),
      handler: 'app.handler',
      function: {
        ...orders,
        variables: { TZ: 'Europe/Paris', AWS_REGION: 'mars-1', AWS_ACCESS_KEY_ID: 'AKIAREAL' }
      },
      folders,
      interpreterEnv: {}
    })
    expect(sneaky.TZ).toBe('Europe/Paris')
    expect(sneaky.AWS_REGION).toBe('eu-west-1')
    expect(sneaky.AWS_ACCESS_KEY_ID).toBe(PLACEHOLDER_CREDENTIALS.AWS_ACCESS_KEY_ID)
    expect(RESERVED_ENVIRONMENT_VARIABLES).toContain('AWS_ACCESS_KEY_ID')
  })

  it("adds what the interpreter needs, its library folder after the package's, then the runner's", () => {
    const emulated = importEnvironment({
      runtime: runtimeNamed('python3.11'),
      handler: 'app.handler',
      function: orders,
      folders,
      interpreterEnv: { QEMU_LD_PREFIX: '/sysroot', LD_LIBRARY_PATH: '/py/lib' },
      runnerLibraryPath: '/opt/hostedtoolcache/Python/3.11.9/x64/lib'
    })
    expect(emulated.QEMU_LD_PREFIX).toBe('/sysroot')
    expect(emulated.LD_LIBRARY_PATH).toBe(
      '/work/check/task:/work/check/task/lib:/work/check/opt/lib:/py/lib:/opt/hostedtoolcache/Python/3.11.9/x64/lib'
    )
  })
})

describe('what the check knows of the function', () => {
  it('in build mode: the import-env input, the runner region, Lambda defaults', () => {
    expect(
      buildModeEnvironment({ TABLE_NAME: 'orders' }, undefined, { AWS_REGION: 'ap-south-1' })
    ).toEqual({
      functionName: 'import-check',
      region: 'ap-south-1',
      memorySizeMb: 128,
      variables: { TABLE_NAME: 'orders' },
      variablesFrom: 'import-env'
    })
    expect(buildModeEnvironment({}, 'orders-api', {})).toMatchObject({
      functionName: 'orders-api',
      region: 'us-east-1'
    })
  })

  it('in deploy mode: one function as configured', () => {
    expect(
      deployModeEnvironment([
        { functionName: 'orders-api', region: 'eu-west-1', variables: { TABLE_NAME: 'orders' } }
      ])
    ).toEqual({
      functionName: 'orders-api',
      region: 'eu-west-1',
      memorySizeMb: 128,
      variables: { TABLE_NAME: 'orders' },
      variablesFrom: 'function-configuration'
    })
  })

  it('in deploy mode with several functions: only the variables every one of them sets', () => {
    const merged = deployModeEnvironment([
      {
        functionName: 'orders-api',
        region: 'eu-west-1',
        memorySizeMb: 1024,
        variables: { TABLE_NAME: 'orders', API_ONLY: '1', STAGE: 'prod' }
      },
      {
        functionName: 'orders-worker',
        region: 'eu-west-1',
        variables: { TABLE_NAME: 'orders-copy', STAGE: 'prod' }
      }
    ])
    expect(merged.variables).toEqual({ TABLE_NAME: 'orders', STAGE: 'prod' })
    expect(merged.memorySizeMb).toBe(1024)
  })
})
