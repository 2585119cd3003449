// Facts about AWS Lambda that decide what loads and what is accepted. One place for each:
// every other module imports them from here. Sources: AWS Lambda runtimes and quotas pages.

export const ARCHITECTURES = ['arm64', 'x86_64'] as const
export type Architecture = (typeof ARCHITECTURES)[number]

export interface RuntimeFacts {
  /** `python3.12` */
  name: string
  /** `3.12` */
  pythonVersion: string
  /** `312`, for `cp312` */
  abiDigits: string
  /** Amazon Linux release the runtime runs on. */
  os: 'Amazon Linux 2' | 'Amazon Linux 2023'
  /** Newest glibc minor on that OS: `manylinux_2_<glibcMinor>` is the newest tag that loads. */
  glibcMinor: number
}

function runtime(minor: number, os: RuntimeFacts['os']): RuntimeFacts {
  return {
    name: `python3.${minor}`,
    pythonVersion: `3.${minor}`,
    abiDigits: `3${minor}`,
    os,
    glibcMinor: os === 'Amazon Linux 2' ? 26 : 34
  }
}

export const RUNTIMES: readonly RuntimeFacts[] = [
  runtime(9, 'Amazon Linux 2'),
  runtime(10, 'Amazon Linux 2'),
  runtime(11, 'Amazon Linux 2'),
  runtime(12, 'Amazon Linux 2023'),
  runtime(13, 'Amazon Linux 2023'),
  runtime(14, 'Amazon Linux 2023')
]

export function runtimeFacts(name: string): RuntimeFacts | undefined {
  return RUNTIMES.find((r) => r.name === name)
}

/** Lambda says `arm64`, wheels and ELF say `aarch64`. */
export const WHEEL_ARCH: Record<Architecture, string> = { arm64: 'aarch64', x86_64: 'x86_64' }

/** ELF `e_machine` of each architecture's shared libraries. */
export const ELF_MACHINE: Record<Architecture, number> = { arm64: 183, x86_64: 62 }

/** Oldest glibc that manylinux tags name: manylinux2014 = manylinux_2_17. */
export const MANYLINUX_FIRST_GLIBC_MINOR = 17

export const LIMITS = {
  /** Zipped package sent directly in UpdateFunctionCode's ZipFile. Above: through S3. */
  directUploadBytes: 52_428_800,
  /** The request cap users meet as "Request must be smaller than 69905067 bytes". */
  requestBytes: 69_905_067,
  /** Function plus all its layers, unzipped. */
  unzippedBytes: 262_144_000,
  layersPerFunction: 5,
  codeStoragePerRegionBytes: 80_530_636_800
} as const

/**
 * Distributions every Python runtime provides outside the package (boto3 and what it needs),
 * normalised per PEP 503. A requirement on one of them is met even when the package lacks it;
 * the runtime's versions change with its updates, so pinning your own copy stays the safe choice.
 */
export const RUNTIME_PROVIDED_DISTRIBUTIONS: readonly string[] = [
  'boto3',
  'botocore',
  's3transfer',
  'jmespath',
  'python-dateutil',
  'urllib3',
  'six'
]

/** The top-level modules of those distributions (python-dateutil is `dateutil`). */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = [
  'boto3',
  'botocore',
  's3transfer',
  'jmespath',
  'dateutil',
  'urllib3',
  'six'
]

/**
 * The versions of those distributions each runtime ships (in its site-packages, after the task
 * root and the layers on sys.path), which the import check puts on its path in the same place.
 * AWS no longer publishes them ("depends on the runtime version and your Region"; the runtime
 * table once listed one boto3 for every Python runtime, e.g. boto3-1.34.42 in 2024, confirmed for
 * python3.9 in boto/boto3#4058). python3.12 and python3.13 reported boto3/botocore 1.38.36 in
 * August 2025 (terricain/aioboto3#381); the other runtimes are taken to ship the same SDK, as
 * Lambda rolls one SDK out to its Python runtimes together. The dependencies are the releases
 * botocore 1.38.36 accepts on every runtime (urllib3 1.26: botocore holds Python 3.9 below 1.27,
 * and Lambda's runtimes have shipped 1.26, aws/aws-lambda-base-images#118). Lambda updates
 * these without notice: a package that needs a given boto3 pins its own copy.
 */
const LAMBDA_SDK_2025: Readonly<Record<string, string>> = {
  boto3: '1.38.36',
  botocore: '1.38.36',
  s3transfer: '0.13.0',
  jmespath: '1.0.1',
  'python-dateutil': '2.9.0.post0',
  six: '1.17.0',
  urllib3: '1.26.20'
}

const RUNTIME_PROVIDED_VERSIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'python3.9': LAMBDA_SDK_2025,
  'python3.10': LAMBDA_SDK_2025,
  'python3.11': LAMBDA_SDK_2025,
  'python3.12': LAMBDA_SDK_2025,
  'python3.13': LAMBDA_SDK_2025,
  'python3.14': LAMBDA_SDK_2025
}

/** `{ boto3: '1.38.36', ... }`: what `runtime` provides, one version per distribution. */
export function runtimeProvidedVersions(runtime: RuntimeFacts): Readonly<Record<string, string>> {
  return RUNTIME_PROVIDED_VERSIONS[runtime.name] ?? LAMBDA_SDK_2025
}

/** PEP 508 marker values that hold on every Lambda Python runtime (Linux, CPython). */
export const LAMBDA_MARKER_VALUES = {
  os_name: 'posix',
  sys_platform: 'linux',
  platform_system: 'Linux',
  platform_python_implementation: 'CPython',
  implementation_name: 'cpython'
} as const

/**
 * Shared libraries a Python runtime's image provides (/lib64, /usr/lib64), by DT_NEEDED name.
 * The manylinux policies (PEP 513/599/600, auditwheel's manylinux-policy.json `lib_whitelist`)
 * let a wheel link these without bundling them, because desktop distributions have them; Lambda's
 * images are minimal (Amazon Linux 2 / the AL2023 minimal container image) and have only glibc's
 * own libraries, the GCC runtime and zlib of that list. Not provided, although the policies allow
 * them: libGL.so.1, libX11.so.6, libXext.so.6, libXrender.so.1, libSM.so.6, libICE.so.6,
 * libglib-2.0.so.0, libgthread-2.0.so.0, libgobject-2.0.so.0 (opencv-python's "libGL.so.1:
 * cannot open shared object file": aws/aws-lambda-python-runtime-interface-client#31,
 * lambci/docker-lambda#318), and libexpat.so.1 (missing from the python3.12 execution
 * environment: developmentseed/eoapi-cdk#182). libatomic.so.1 (added to the policies in 2025)
 * is left out too: nothing says Lambda has it, so a wheel must bundle it.
 */
const GLIBC_LIBRARIES = [
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'librt.so.1',
  'libpthread.so.0',
  'libutil.so.1',
  'libresolv.so.2',
  'libanl.so.1',
  'libnsl.so.1'
] as const
const DYNAMIC_LOADERS: Record<Architecture, string> = {
  x86_64: 'ld-linux-x86-64.so.2',
  arm64: 'ld-linux-aarch64.so.1'
}

export function runtimeProvidedLibraries(architecture: Architecture): ReadonlySet<string> {
  return new Set([
    ...GLIBC_LIBRARIES,
    DYNAMIC_LOADERS[architecture],
    'libgcc_s.so.1',
    'libstdc++.so.6',
    'libz.so.1'
  ])
}

/**
 * The processor model Lambda runs an architecture's functions on, as qemu names it, where Lambda
 * names one: arm64 functions run on AWS Graviton2 (Arm Neoverse N1, Armv8.2, no SVE). The import
 * check emulates that model, so code a wheel picks only on newer processors (SVE kernels) is not
 * what loads there.
 */
export const LAMBDA_CPU_MODEL: Partial<Record<Architecture, string>> = { arm64: 'neoverse-n1' }

/** Where a function zip and a layer zip are unpacked on Lambda. */
export const TASK_ROOT = '/var/task'
export const LAYER_ROOT = '/opt'

/**
 * LD_LIBRARY_PATH of the Lambda base images (aws/aws-lambda-base-images Dockerfiles):
 * `/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib`.
 * These are the folders of it a package can fill; the others hold the runtime's own files.
 */
export const PACKAGE_LIBRARY_PATH = ['/var/task', '/var/task/lib', '/opt/lib'] as const

/**
 * Variables Lambda sets itself and refuses in a function's configuration (AWS: "Defined runtime
 * environment variables", reserved keys). A function's own variables never carry these names.
 */
export const RESERVED_ENVIRONMENT_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR'
]

/** A function's memory when its configuration does not say: Lambda's default, MB. */
export const DEFAULT_MEMORY_SIZE_MB = 128

/** Where the function runs, for the variables Lambda sets during its init phase. */
export interface FunctionIdentity {
  functionName: string
  region: string
  memorySizeMb: number
  /** The handler setting: `orders/handler.handler`. */
  handler: string
}

/** Folders of one unpacked package set: Lambda's own, or the import check's copies of them. */
export interface RuntimeFolders {
  /** `/var/task` */
  taskRoot: string
  /** `/opt` */
  layerRoot: string
  /** `/var/runtime`: where the runtime's own Python code lives. */
  runtimeDir: string
  /** Lambda's `/var/lang/bin`: the interpreter's folder. */
  interpreterBin: string
}

/** A path under Lambda's /var/task or /opt, moved to the same place under the folders given. */
function relocate(path: string, folders: RuntimeFolders): string {
  for (const [root, local] of [
    [TASK_ROOT, folders.taskRoot],
    [LAYER_ROOT, folders.layerRoot]
  ] as const) {
    if (path === root || path.startsWith(`${root}/`)) return local + path.slice(root.length)
  }
  return path
}

/**
 * The variables Lambda sets for a Python function before its handler module is imported (AWS:
 * "Defined runtime environment variables"; values as the Lambda base images set them), with the
 * folders given. Credentials are the caller's business: on Lambda they are the role's.
 */
export function lambdaRuntimeVariables(
  runtime: RuntimeFacts,
  identity: FunctionIdentity,
  folders: RuntimeFolders
): Record<string, string> {
  const { taskRoot, layerRoot, runtimeDir, interpreterBin } = folders
  return {
    AWS_REGION: identity.region,
    AWS_DEFAULT_REGION: identity.region,
    AWS_LAMBDA_FUNCTION_NAME: identity.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(identity.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${identity.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `2025/01/01/[$LATEST]${'0'.repeat(32)}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime.name}`,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    _HANDLER: identity.handler,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: [interpreterBin, '/usr/local/bin', '/usr/bin', '/bin', `${layerRoot}/bin`].join(':'),
    // The package's part of the base images' LD_LIBRARY_PATH, in the folders given.
    LD_LIBRARY_PATH: PACKAGE_LIBRARY_PATH.map((dir) => relocate(dir, folders)).join(':'),
    PYTHONPATH: runtimeDir
  }
}
