// Input, output and state names: the contract of action.yml, in one place.

export const INPUT = {
  mode: 'mode',
  functionName: 'function-name',
  source: 'source',
  requirements: 'requirements',
  extras: 'extras',
  groups: 'groups',
  runtime: 'runtime',
  architectures: 'architectures',
  handler: 'handler',
  importCheck: 'import-check',
  importEnv: 'import-env',
  python: 'python',
  bytecode: 'bytecode',
  packageType: 'package-type',
  layerName: 'layer-name',
  exclude: 'exclude',
  slim: 'slim',
  installer: 'installer',
  allowLinuxWheels: 'allow-linux-wheels',
  cache: 'cache',
  cacheInDeploy: 'cache-in-deploy',
  outputDir: 'output-dir',
  packageDir: 'package-dir',
  maxSize: 'max-size',
  maxUnzippedSize: 'max-unzipped-size',
  s3Bucket: 's3-bucket',
  s3Prefix: 's3-prefix',
  s3BucketOwner: 's3-bucket-owner',
  publish: 'publish',
  keepVersions: 'keep-versions',
  keepLayerVersions: 'keep-layer-versions',
  waitTimeout: 'wait-timeout',
  alias: 'alias',
  smokePayload: 'smoke-payload',
  smokeExpect: 'smoke-expect',
  traffic: 'traffic',
  alarms: 'alarms',
  maxErrors: 'max-errors',
  maxThrottles: 'max-throttles',
  comment: 'comment',
  githubToken: 'github-token'
} as const

export const OUTPUT = {
  packages: 'packages',
  zipPath: 'zip-path',
  codeSha256: 'code-sha256',
  size: 'size',
  unzippedSize: 'unzipped-size',
  cacheHit: 'cache-hit',
  changed: 'changed',
  version: 'version',
  versionArn: 'version-arn',
  aliasArn: 'alias-arn',
  layerVersionArn: 'layer-version-arn',
  functions: 'functions',
  rollout: 'rollout',
  servingVersion: 'serving-version'
} as const

/** Bumped when the wheel store's layout changes: old caches then never match. v2: manifests record the zip check. */
export const CACHE_FORMAT_VERSION = 'v2'

/** Name of the JSON size report written in output-dir. */
export const REPORT_FILE = 'report.json'

export const USER_AGENT = 'lambda-python-deploy/1'
