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
