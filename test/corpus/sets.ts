// The corpus: requirement sets that teams ship to Lambda every day, each built by
// test/corpus/corpus.test.ts through `node dist/index.js` and held against references the test
// computes itself (uv's resolution for the target, pip's install of the same wheels, an import
// from the zip alone). The README's corpus table is generated from this list
// (scripts/corpus-table.ts), and test/unit/corpus-readme.test.ts keeps the two equal.
//
// A set is a folder of files: a requirements.txt, a pyproject.toml, or a project whose lock its
// own tool writes when the test sets the folder up: `uv lock` (issue 9), `poetry lock`,
// `pipenv lock`, a pylock.toml from `uv export` or `uv pip compile --universal` (issue 15).
import type { Architecture } from '../../src/lambda-facts.js'

export type Runtime =
  'python3.9' | 'python3.10' | 'python3.11' | 'python3.12' | 'python3.13' | 'python3.14'

export type LockTool = 'uv' | 'poetry' | 'pipenv' | 'pylock' | 'pylock-compile'

/** The file the lock tool writes, that decides. */
export const LOCK_FILE: Record<LockTool, string> = {
  uv: 'uv.lock',
  poetry: 'poetry.lock',
  pipenv: 'Pipfile.lock',
  pylock: 'pylock.toml',
  'pylock-compile': 'pylock.toml'
}

export type ByArchitecture = readonly string[] | Partial<Record<Architecture, readonly string[]>>

/** The names `has`/`lacks` give for one architecture. */
export function forArchitecture(
  names: ByArchitecture | undefined,
  architecture: Architecture
): readonly string[] {
  if (names === undefined) return []
  return Array.isArray(names)
    ? names
    : ((names as Partial<Record<Architecture, readonly string[]>>)[architecture] ?? [])
}

export interface CorpusSet {
  /** Unique, kebab-case: the test's and the README row's name. */
  name: string
  /** What the set stands for, in the README's words. */
  covers: string
  runtime: Runtime
  architectures: readonly Architecture[]
  /**
   * The set folder's files besides the handler (`app.py`, written from `imports` into
   * `source`). The set folder is the workspace (`GITHUB_WORKSPACE`).
   */
  files: Readonly<Record<string, string>>
  /** The `source` input, relative to the set folder; the folder itself when absent. */
  source?: string
  /**
   * The `requirements` input, relative to the source folder; also what uv resolves. Absent:
   * the input is unset and the action finds the file itself (a uv.lock in `lockedBy`).
   */
  requirements?: string
  /**
   * The lock its tool writes before the build, in `folder` (relative to the set folder); the
   * reference is then the tool's own word on what ships, not a fresh resolution:
   * - `uv` (the default): `uv lock`; uv's export of the lock for `package`;
   * - `poetry`: `poetry lock`; `poetry export` (poetry-plugin-export);
   * - `pipenv`: `pipenv lock` with the runtime's CPython; `pipenv requirements`;
   * - `pylock`: `uv export --format pylock.toml` of the uv project in the folder, and
   *   `pylock-compile`: `uv pip compile --universal requirements.in -o pylock.toml`; uv's own
   *   reading of that pylock.toml for the target (`uv pip install --dry-run`).
   */
  lockedBy?: {
    tool?: LockTool
    folder: string
    package?: string
  }
  /** Modules the handler imports at load time, as Lambda would. */
  imports: readonly string[]
  /** `installer` input; the action's default (`auto`) when absent. */
  installer?: 'auto' | 'pip' | 'uv'
  /**
   * Distributions (PEP 503 names) that must be in the package, for every architecture or per
   * architecture: the markers' outcome stated by hand, beside uv's reference.
   */
  has?: ByArchitecture
  /** Distributions that must not be: a marker that is false for the target. */
  lacks?: ByArchitecture
  /** A known failure: the build must fail with an error matching this. */
  fails?: RegExp
  /**
   * The expected behaviour needs another part of issue 8 that is not merged yet: the test is
   * marked `fails` until then, and the README shows the set as pending.
   */
  pending?: string
}

const requirements = (...lines: string[]) => ({ 'requirements.txt': `${lines.join('\n')}\n` })
const both: readonly Architecture[] = ['arm64', 'x86_64']
const x86: readonly Architecture[] = ['x86_64']
const arm: readonly Architecture[] = ['arm64']

const set = (spec: CorpusSet): CorpusSet =>
  spec.files['requirements.txt'] === undefined
    ? spec
    : { requirements: 'requirements.txt', ...spec }

/** A `pyproject.toml` for one project; `extra` adds TOML after `[project]` (sources, groups). */
const pyproject = (name: string, dependencies: readonly string[], extra = '') =>
  [
    '[project]',
    `name = "${name}"`,
    'version = "0.1.0"',
    'requires-python = ">=3.10"',
    `dependencies = [${dependencies.map((d) => JSON.stringify(d)).join(', ')}]`,
    extra
  ]
    .join('\n')
    .trimEnd() + '\n'

/**
 * A local library's build backend (a pure-Python wheel from `src/<name>`), and the date that
 * keeps a lock's unpinned transitive dependencies the same from one run to the next.
 */
const BUILD_SYSTEM =
  '[build-system]\nrequires = ["hatchling==1.27.0"]\nbuild-backend = "hatchling.build"'
const LOCK_DATE = '[tool.uv]\nexclude-newer = "2025-06-01T00:00:00Z"'

export const CORPUS: readonly CorpusSet[] = [
  // Web stacks
  set({
    name: 'fastapi-mangum',
    covers: 'web: FastAPI behind Mangum (issue 8, example 1)',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('fastapi==0.115.6', 'mangum==0.19.0'),
    imports: ['fastapi', 'mangum'],
    has: ['starlette', 'pydantic-core', 'anyio'],
    lacks: ['exceptiongroup']
  }),
  set({
    name: 'flask-serverless-wsgi',
    covers: 'web: Flask with serverless-wsgi',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('flask==3.1.0', 'serverless-wsgi==3.0.5'),
    imports: ['flask', 'serverless_wsgi'],
    has: ['werkzeug', 'markupsafe', 'jinja2']
  }),
  set({
    name: 'flask-apig-wsgi',
    covers: 'web: Flask with apig-wsgi',
    runtime: 'python3.10',
    architectures: arm,
    files: requirements('Flask==3.0.3', 'apig-wsgi==2.19.0'),
    imports: ['flask', 'apig_wsgi']
  }),
  set({
    name: 'django-5',
    covers: 'web: Django 5',
    runtime: 'python3.13',
    architectures: both,
    files: requirements('django==5.1.4'),
    imports: ['django'],
    has: ['asgiref', 'sqlparse']
  }),
  set({
    name: 'django-4-py39',
    covers: 'web: Django 4.2 LTS on the oldest runtime',
    runtime: 'python3.9',
    architectures: arm,
    files: requirements('django==4.2.17'),
    imports: ['django'],
    has: ['asgiref', 'sqlparse', 'typing-extensions'],
    lacks: ['backports-zoneinfo']
  }),
  set({
    name: 'starlette-py314',
    covers: 'web: Starlette on python3.14',
    runtime: 'python3.14',
    architectures: x86,
    files: requirements('starlette==0.45.3', 'mangum==0.19.0'),
    imports: ['starlette', 'mangum'],
    lacks: ['exceptiongroup']
  }),

  // AWS libraries
  set({
    name: 'powertools-extras',
    covers: 'AWS: aws-lambda-powertools[tracer,parser,validation]',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('aws-lambda-powertools[tracer,parser,validation]==3.4.1'),
    imports: ['aws_lambda_powertools', 'aws_lambda_powertools.utilities.parser'],
    has: ['aws-xray-sdk', 'pydantic', 'fastjsonschema', 'jmespath', 'wrapt']
  }),
  set({
    name: 'datadog-lambda',
    covers: 'AWS: datadog-lambda with ddtrace (native, many dependencies)',
    runtime: 'python3.12',
    architectures: arm,
    files: requirements('datadog-lambda==8.130.0'),
    imports: ['datadog_lambda'],
    has: ['ddtrace', 'datadog', 'wrapt', 'bytecode', 'envier']
  }),
  set({
    name: 'boto3-pinned',
    covers: 'AWS: boto3 pinned in the package',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('boto3==1.35.90'),
    imports: ['boto3'],
    has: ['botocore', 's3transfer', 'jmespath', 'python-dateutil', 'urllib3', 'six']
  }),
  set({
    name: 'aws-xray-sdk',
    covers: 'AWS: aws-xray-sdk',
    runtime: 'python3.13',
    architectures: arm,
    files: requirements('aws-xray-sdk==2.14.0'),
    imports: ['aws_xray_sdk.core'],
    has: ['botocore', 'wrapt']
  }),

  // HTTP clients
  set({
    name: 'requests-socks',
    covers: 'HTTP: requests[socks] (an extra)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('requests[socks]==2.32.3'),
    imports: ['requests', 'socks'],
    has: ['pysocks', 'urllib3', 'certifi', 'charset-normalizer', 'idna']
  }),
  set({
    name: 'httpx-py310',
    covers: 'HTTP: httpx; anyio needs exceptiongroup below 3.11 (transitive marker)',
    runtime: 'python3.10',
    architectures: both,
    files: requirements('httpx==0.28.1'),
    imports: ['httpx'],
    has: ['anyio', 'exceptiongroup', 'typing-extensions', 'h11', 'httpcore']
  }),
  set({
    name: 'aiohttp',
    covers: 'HTTP: aiohttp and its C extensions',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('aiohttp==3.11.11'),
    imports: ['aiohttp'],
    has: ['multidict', 'yarl', 'frozenlist', 'propcache', 'aiosignal'],
    lacks: ['async-timeout']
  }),
  set({
    name: 'aiohttp-py39',
    covers: 'HTTP: aiohttp on python3.9; async-timeout below 3.11 (transitive marker)',
    runtime: 'python3.9',
    architectures: x86,
    files: requirements('aiohttp==3.10.11'),
    imports: ['aiohttp'],
    has: ['async-timeout']
  }),

  // Data and ML-light
  set({
    name: 'numpy-py39',
    covers: 'data: numpy on python3.9',
    runtime: 'python3.9',
    architectures: both,
    files: requirements('numpy==2.0.2'),
    imports: ['numpy']
  }),
  set({
    name: 'numpy-scipy-pandas',
    covers: 'data: numpy + scipy + pandas (the bench set)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('numpy==2.1.3', 'scipy==1.14.1', 'pandas==2.2.3'),
    imports: ['numpy', 'scipy.linalg', 'pandas'],
    has: ['python-dateutil', 'pytz', 'tzdata']
  }),
  set({
    name: 'pandas',
    covers: 'data: pandas on AL2023, both architectures',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('pandas==2.2.3'),
    imports: ['pandas'],
    has: ['numpy']
  }),
  set({
    name: 'pyarrow',
    covers: 'data: pyarrow',
    runtime: 'python3.13',
    architectures: x86,
    files: requirements('pyarrow==18.1.0'),
    imports: ['pyarrow']
  }),
  set({
    name: 'scikit-learn',
    covers: 'ML-light: scikit-learn (scipy, joblib, threadpoolctl)',
    runtime: 'python3.12',
    architectures: arm,
    files: requirements('scikit-learn==1.6.0'),
    imports: ['sklearn'],
    has: ['scipy', 'numpy', 'joblib', 'threadpoolctl']
  }),
  set({
    name: 'numpy-py314',
    covers: 'data: numpy on python3.14',
    runtime: 'python3.14',
    architectures: both,
    files: requirements('numpy==2.5.5'),
    imports: ['numpy']
  }),

  // Crypto
  set({
    name: 'cryptography',
    covers: 'crypto: cryptography (abi3 wheel, cffi)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('cryptography==44.0.0'),
    imports: ['cryptography.hazmat.primitives.ciphers'],
    has: ['cffi', 'pycparser']
  }),
  set({
    name: 'pynacl-bcrypt',
    covers: 'crypto: PyNaCl and bcrypt',
    runtime: 'python3.13',
    architectures: arm,
    files: requirements('pynacl==1.5.0', 'bcrypt==4.2.1'),
    imports: ['nacl', 'bcrypt'],
    has: ['cffi']
  }),
  set({
    name: 'pyjwt-crypto',
    covers: 'crypto: pyjwt[crypto] (an extra)',
    runtime: 'python3.9',
    architectures: x86,
    files: requirements('pyjwt[crypto]==2.10.1'),
    imports: ['jwt'],
    // Found by the corpus: uv takes `--python-version 3.9` as any 3.9.x and pins cryptography
    // 47 (Requires-Python `!=3.9.0,!=3.9.1,>=3.8`); pip's fetch read 3.9 as 3.9.0 and failed
    // with "Pin cryptography==43.0.3". Lambda runs a late 3.9.x.
    has: ['cryptography']
  }),

  // Database drivers
  set({
    name: 'psycopg-binary',
    covers: 'database: psycopg[binary] 3; typing-extensions only below 3.13',
    runtime: 'python3.13',
    architectures: both,
    files: requirements('psycopg[binary]==3.2.3'),
    imports: ['psycopg'],
    has: ['psycopg-binary'],
    lacks: ['typing-extensions', 'tzdata']
  }),
  set({
    name: 'psycopg2-binary',
    covers: 'database: psycopg2-binary (bundled libpq)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('psycopg2-binary==2.9.10'),
    imports: ['psycopg2']
  }),
  set({
    name: 'pymysql-redis',
    covers: 'database: PyMySQL and redis; async-timeout by python_full_version',
    runtime: 'python3.10',
    architectures: arm,
    files: requirements('pymysql==1.1.1', 'redis==5.2.1'),
    imports: ['pymysql', 'redis'],
    has: ['async-timeout']
  }),
  set({
    name: 'pymongo',
    covers: 'database: pymongo (C extension, dnspython)',
    runtime: 'python3.12',
    architectures: x86,
    files: requirements('pymongo==4.10.1'),
    imports: ['pymongo'],
    has: ['dnspython']
  }),
  set({
    name: 'sqlalchemy-arm64',
    covers: 'database: SQLAlchemy; greenlet by platform_machine on aarch64 (transitive)',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('sqlalchemy==2.0.36'),
    imports: ['sqlalchemy'],
    has: ['greenlet', 'typing-extensions']
  }),
  set({
    name: 'sqlalchemy-py313',
    covers: 'database: SQLAlchemy on python3.13, where its marker drops greenlet',
    runtime: 'python3.13',
    architectures: arm,
    files: requirements('sqlalchemy==2.0.36'),
    imports: ['sqlalchemy'],
    lacks: ['greenlet']
  }),

  // Rust and C extensions
  set({
    name: 'pydantic-email',
    covers: 'Rust: pydantic[email] (pydantic-core, an extra)',
    runtime: 'python3.9',
    architectures: both,
    files: requirements('pydantic[email]==2.10.4'),
    imports: ['pydantic', 'email_validator'],
    has: ['pydantic-core', 'email-validator', 'dnspython', 'idna', 'annotated-types']
  }),
  set({
    name: 'pydantic-py314',
    covers: 'Rust: pydantic on python3.14',
    runtime: 'python3.14',
    architectures: arm,
    files: requirements('pydantic==2.14.4'),
    imports: ['pydantic'],
    has: ['pydantic-core']
  }),
  set({
    name: 'orjson',
    covers: 'Rust: orjson',
    runtime: 'python3.13',
    architectures: both,
    files: requirements('orjson==3.10.13'),
    imports: ['orjson']
  }),
  set({
    name: 'lxml',
    covers: 'C: lxml (bundled libxml2/libxslt)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('lxml==5.3.0'),
    imports: ['lxml.etree']
  }),
  set({
    name: 'pillow',
    covers: 'C: Pillow (bundled libraries in pillow.libs)',
    runtime: 'python3.12',
    architectures: both,
    files: requirements('pillow==11.0.0'),
    imports: ['PIL.Image']
  }),
  set({
    name: 'jsonschema-rpds',
    covers: 'Rust: jsonschema → referencing → rpds-py',
    runtime: 'python3.10',
    architectures: x86,
    files: requirements('jsonschema==4.23.0'),
    imports: ['jsonschema'],
    has: ['rpds-py', 'referencing', 'attrs', 'jsonschema-specifications']
  }),

  set({
    name: 'pyyaml-grpcio',
    covers: 'C: PyYAML and grpcio on Amazon Linux 2',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('pyyaml==6.0.2', 'grpcio==1.68.1'),
    imports: ['yaml', 'grpc']
  }),

  // Namespace packages
  set({
    name: 'google-cloud-storage',
    covers: 'namespace: google-cloud-storage (google.* from many distributions)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('google-cloud-storage==2.19.0'),
    imports: ['google.cloud.storage', 'google.auth', 'google.protobuf'],
    has: ['google-api-core', 'google-auth', 'google-cloud-core', 'protobuf', 'google-crc32c']
  }),
  set({
    name: 'zope',
    covers: 'namespace: zope.interface + zope.event (pulls setuptools and its .pth file)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('zope.interface==7.2', 'zope.event==5.0'),
    imports: ['zope.interface', 'zope.event'],
    has: ['setuptools']
  }),
  set({
    name: 'jaraco-backports',
    covers: 'namespace: jaraco.context → backports.tarfile below 3.12 (transitive marker)',
    runtime: 'python3.11',
    architectures: x86,
    files: requirements('jaraco.context==6.0.1'),
    imports: ['jaraco.context', 'backports.tarfile'],
    has: ['backports-tarfile']
  }),
  set({
    name: 'jaraco-py312',
    covers: 'namespace: jaraco.context on python3.12, where backports.tarfile is not needed',
    runtime: 'python3.12',
    architectures: arm,
    files: requirements('jaraco.context==6.0.1'),
    imports: ['jaraco.context'],
    lacks: ['backports-tarfile']
  }),

  // Markers written in the requirements file
  set({
    name: 'markers-python-version',
    covers: 'markers: numpy pinned per python_version (AWS lambda-builders style, example 3)',
    runtime: 'python3.12',
    architectures: x86,
    files: requirements(
      "numpy==1.26.4; python_version == '3.11'",
      "numpy==2.1.2; python_version == '3.12'",
      "numpy==2.1.3; python_version == '3.13'",
      "tomli==2.2.1; python_version < '3.11'"
    ),
    imports: ['numpy'],
    lacks: ['tomli']
  }),
  set({
    name: 'markers-tomli-py310',
    covers: 'markers: tomli below 3.11, exceptiongroup below 3.11 through pytest',
    runtime: 'python3.10',
    architectures: arm,
    files: requirements("tomli==2.2.1; python_version < '3.11'", 'pytest==8.3.4'),
    imports: ['tomli', 'pytest'],
    has: ['tomli', 'exceptiongroup', 'iniconfig', 'pluggy', 'packaging']
  }),
  set({
    name: 'markers-platform-machine',
    covers: 'markers: platform_machine picks orjson on x86_64, ujson on arm64',
    runtime: 'python3.12',
    architectures: both,
    files: requirements(
      "orjson==3.10.13; platform_machine == 'x86_64'",
      "ujson==5.10.0; platform_machine == 'aarch64'"
    ),
    imports: [],
    has: { x86_64: ['orjson'], arm64: ['ujson'] },
    lacks: { x86_64: ['ujson'], arm64: ['orjson'] }
  }),
  set({
    name: 'anyio-py310',
    covers: 'markers: anyio for python3.10 (issue 8, example 2)',
    runtime: 'python3.10',
    architectures: x86,
    files: requirements('anyio==4.6.2'),
    imports: ['anyio'],
    has: ['exceptiongroup', 'typing-extensions', 'idna', 'sniffio']
  }),

  // Projects (issue 9): pyproject.toml alone, a uv.lock, a uv workspace with a local library.
  set({
    name: 'pyproject-only',
    covers:
      'project: pyproject.toml alone (found without the input), an extra and python_version markers',
    runtime: 'python3.10',
    architectures: both,
    files: {
      'pyproject.toml': pyproject('orders', [
        'requests[socks]==2.32.3',
        "exceptiongroup==1.2.2; python_version < '3.11'",
        "tomli==2.2.1; python_version >= '3.11'"
      ])
    },
    imports: ['requests', 'socks', 'exceptiongroup'],
    has: ['pysocks', 'exceptiongroup', 'urllib3'],
    lacks: ['tomli']
  }),
  set({
    name: 'uv-lock-project',
    covers: 'project: uv.lock of one project (named by the input), dev group left out, hashes',
    runtime: 'python3.12',
    architectures: x86,
    requirements: 'uv.lock',
    lockedBy: { folder: '.', package: 'orders' },
    files: {
      'pyproject.toml': pyproject(
        'orders',
        ['pydantic==2.10.4', "typing-extensions==4.12.2; python_version < '3.13'"],
        `[dependency-groups]\ndev = ["pytest==8.3.4"]\n\n${LOCK_DATE}`
      )
    },
    imports: ['pydantic'],
    has: ['pydantic-core', 'annotated-types', 'typing-extensions'],
    lacks: ['pytest', 'pluggy', 'orders']
  }),
  set({
    name: 'uv-workspace-member',
    covers:
      'project: uv workspace member (uv.lock at the root, found from the member) with a local library',
    runtime: 'python3.11',
    architectures: x86,
    source: 'services/orders',
    lockedBy: { folder: '.', package: 'orders' },
    files: {
      'pyproject.toml': `[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n\n[dependency-groups]\ndev = ["pytest==8.3.4"]\n\n${LOCK_DATE}\n`,
      'services/orders/pyproject.toml': pyproject(
        'orders',
        ['shared', 'requests==2.32.3'],
        '[tool.uv.sources]\nshared = { workspace = true }'
      ),
      'services/reports/pyproject.toml': pyproject('reports', ['pyyaml==6.0.2']),
      'services/reports/app.py': 'import yaml\n',
      'libs/shared/pyproject.toml': pyproject('shared', ['attrs==24.3.0'], BUILD_SYSTEM),
      'libs/shared/src/shared/__init__.py': 'import attrs\n\nGREETING = "hello"\n'
    },
    imports: ['shared', 'requests', 'attrs'],
    has: ['shared', 'attrs', 'requests', 'certifi'],
    lacks: ['pyyaml', 'pytest', 'reports', 'orders']
  }),

  // Lock formats (issue 15): each lock written at set-up by its own tool.
  set({
    name: 'poetry-fastapi',
    covers:
      'Poetry 2 [project]: FastAPI + Mangum, orjson on x86_64 only, a dev group left out, hashes',
    runtime: 'python3.12',
    architectures: both,
    lockedBy: { tool: 'poetry', folder: '.' },
    files: {
      'pyproject.toml': `${pyproject('orders', [
        'fastapi==0.115.6',
        'mangum==0.19.0',
        "orjson==3.10.13; platform_machine == 'x86_64'"
      ]).replace(
        '>=3.10',
        '>=3.12,<4'
      )}\n[tool.poetry]\npackage-mode = false\n\n[tool.poetry.group.dev.dependencies]\npytest = "8.3.4"\n`
    },
    imports: ['fastapi', 'mangum'],
    has: {
      x86_64: ['orjson', 'starlette', 'pydantic-core'],
      arm64: ['starlette', 'pydantic-core']
    },
    lacks: { x86_64: ['pytest', 'pluggy'], arm64: ['orjson', 'pytest', 'pluggy'] }
  }),
  set({
    name: 'poetry-package-py310',
    covers:
      'Poetry [tool.poetry] package in src layout: the project ships as a wheel; exceptiongroup below 3.11; an extra',
    runtime: 'python3.10',
    architectures: arm,
    lockedBy: { tool: 'poetry', folder: '.' },
    files: {
      'pyproject.toml': [
        '[tool.poetry]',
        'name = "ledger"',
        'version = "0.3.0"',
        'description = "Ledger"',
        'authors = ["Team <team@example.com>"]',
        'packages = [{ include = "ledger", from = "src" }]',
        '',
        '[tool.poetry.dependencies]',
        'python = "^3.10"',
        'httpx = "0.28.1"',
        'pysocks = { version = "1.7.1", optional = true }',
        '',
        '[tool.poetry.extras]',
        'socks = ["pysocks"]',
        '',
        '[tool.poetry.group.dev.dependencies]',
        'iniconfig = "2.0.0"',
        '',
        '[build-system]',
        'requires = ["poetry-core>=2.0.0,<3.0.0"]',
        'build-backend = "poetry.core.masonry.api"',
        ''
      ].join('\n'),
      'src/ledger/__init__.py': 'import httpx\n\nCLIENT = httpx.Client\n'
    },
    imports: ['ledger', 'httpx'],
    has: ['ledger', 'httpx', 'anyio', 'exceptiongroup', 'typing-extensions'],
    lacks: ['iniconfig', 'pysocks']
  }),
  set({
    name: 'pipenv-requests',
    covers: 'Pipenv: requests[socks]; attrs on arm64 only; dev-packages left out; hashes',
    runtime: 'python3.11',
    architectures: both,
    lockedBy: { tool: 'pipenv', folder: '.' },
    files: {
      Pipfile: [
        '[[source]]',
        'url = "https://pypi.org/simple"',
        'verify_ssl = true',
        'name = "pypi"',
        '',
        '[packages]',
        'requests = {version = "==2.32.3", extras = ["socks"]}',
        `attrs = {version = "==24.3.0", markers = "platform_machine == 'aarch64'"}`,
        '',
        '[dev-packages]',
        'pytest = "==8.3.4"',
        '',
        '[requires]',
        'python_version = "3.11"',
        ''
      ].join('\n')
    },
    imports: ['requests', 'socks'],
    has: { x86_64: ['requests', 'pysocks', 'urllib3'], arm64: ['requests', 'pysocks', 'attrs'] },
    lacks: { x86_64: ['attrs', 'pytest'], arm64: ['pytest'] }
  }),
  set({
    name: 'pipenv-pydantic-py313',
    covers: 'Pipenv on python3.13: pydantic (Rust), a custom category left out',
    runtime: 'python3.13',
    architectures: arm,
    lockedBy: { tool: 'pipenv', folder: '.' },
    files: {
      Pipfile: [
        '[[source]]',
        'url = "https://pypi.org/simple"',
        'verify_ssl = true',
        'name = "pypi"',
        '',
        '[packages]',
        'pydantic = "==2.10.4"',
        '',
        '[docs]',
        'mkdocs = "==1.6.1"',
        '',
        '[requires]',
        'python_version = "3.13"',
        ''
      ].join('\n')
    },
    imports: ['pydantic'],
    has: ['pydantic-core', 'annotated-types', 'typing-extensions'],
    lacks: ['mkdocs']
  }),
  set({
    name: 'pylock-uv-export',
    covers:
      'pylock.toml from `uv export --format pylock.toml`: SQLAlchemy (greenlet by platform_machine), dev group left out',
    runtime: 'python3.12',
    architectures: both,
    lockedBy: { tool: 'pylock', folder: '.' },
    files: {
      'pyproject.toml': pyproject(
        'orders',
        ['sqlalchemy==2.0.36', 'psycopg[binary]==3.2.3'],
        `[dependency-groups]\ndev = ["pytest==8.3.4"]\n\n${LOCK_DATE}`
      )
    },
    imports: ['sqlalchemy', 'psycopg'],
    has: ['greenlet', 'psycopg-binary', 'typing-extensions'],
    lacks: ['pytest']
  }),
  set({
    name: 'pylock-compile-py39',
    covers:
      'pylock.toml from `uv pip compile --universal`: aiohttp on python3.9, async-timeout by marker',
    runtime: 'python3.9',
    architectures: both,
    lockedBy: { tool: 'pylock-compile', folder: '.' },
    files: { 'requirements.in': 'aiohttp==3.10.11\n' },
    imports: ['aiohttp'],
    has: ['async-timeout', 'multidict', 'yarl']
  }),

  // Known failures: the build must stop, naming the problem.
  set({
    name: 'fail-native-sdist',
    covers: 'failure: psycopg2 has no Linux wheel, only a compiled sdist',
    runtime: 'python3.12',
    architectures: x86,
    files: requirements('psycopg2==2.9.10'),
    imports: ['psycopg2'],
    fails:
      /psycopg2: no wheel of psycopg2==2\.9\.10 loads on python3\.12 x86_64, and its source distribution \S+ has compiled code/
  }),
  set({
    name: 'fail-no-wheel-for-runtime',
    covers: 'failure: numpy 1.26.4 has no wheel for python3.13',
    runtime: 'python3.13',
    architectures: x86,
    files: requirements('numpy==1.26.4'),
    imports: ['numpy'],
    fails:
      /numpy: no version matching numpy==1\.26\.4 has a wheel that loads on python3\.13 x86_64; the newest that has one is [\d.]+\. Pin numpy==[\d.]+/
  }),
  set({
    name: 'fail-opencv-libgl',
    covers: 'failure: opencv-python needs libGL.so.1, which Lambda does not have',
    runtime: 'python3.12',
    architectures: x86,
    files: requirements('opencv-python==4.10.0.84'),
    // The handler imports cv2, as every user of it does: a library only modules the import does
    // not load need is a warning where the import check runs (issue 20).
    imports: ['cv2'],
    fails: /libGL\.so\.1[\s\S]*opencv-python-headless/
  }),
  set({
    name: 'fail-pip-loses-marker',
    covers: 'failure: installer pip on a 3.11 runner drops anyio’s exceptiongroup for 3.10',
    runtime: 'python3.10',
    architectures: x86,
    installer: 'pip',
    files: requirements('anyio==4.6.2'),
    imports: [],
    fails: /anyio[\s\S]*exceptiongroup[\s\S]*python_version/
  })
]
