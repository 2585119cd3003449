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
