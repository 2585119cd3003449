// The environment of every process the action starts: an allowlist, never this process's
// environment passed on. Build backends of local libraries and source distributions run inside
// pip and uv, and the handler's import-time code inside the import check: code the action did
// not write. The job's environment holds what such code must never see: the Actions runtime
// token (it writes the Actions cache), the OIDC request token and URL (they mint the job's
// identity token), AWS credentials, `INPUT_GITHUB-TOKEN`, and the paths of the runner's command
// files (`GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`), which every later
// step of the job honours. Issue 18, item 1.
import { PROXY_VARIABLES } from '../../net/proxy-env.js'
import type { Env } from './run-tool.js'

/** Variables a child may see, by exact name. */
const ALLOWED_NAMES = new Set<string>([
  // Finding programs, home, user, temporary folders, time zone.
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TZ',
  // Locale (LC_* by prefix below).
  'LANG',
  'LANGUAGE',
  // Reproducible builds: setuptools, hatchling and flit honour it.
  'SOURCE_DATE_EPOCH',
  // Proxies, as pip and uv read them (lower and upper case).
  ...PROXY_VARIABLES,
  'all_proxy',
  'ALL_PROXY',
  // Certificates: OpenSSL, requests (pip), curl-style tools, and pip's netrc lookup.
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'NETRC',
  // Where pip and uv keep their caches and read their config files.
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CONFIG_DIRS',
  // The interpreter itself: pyenv shims pick a version from these, and actions/setup-python
  // exports LD_LIBRARY_PATH for its shared-library CPython builds.
  'PYENV_ROOT',
  'PYENV_VERSION',
  'LD_LIBRARY_PATH',
  // Requirements fetched with git over SSH (pip clones them). The agent's socket sits in /tmp,
  // where same-user code finds it with or without this variable.
  'SSH_AUTH_SOCK',
  'GIT_SSH_COMMAND'
])

/** Variables a child may see, by prefix: pip's and uv's settings, and the locale. */
const ALLOWED_PREFIXES = ['PIP_', 'UV_', 'LC_'] as const

/** True when a child may see `name`. */
export function childMaySee(name: string): boolean {
  return ALLOWED_NAMES.has(name) || ALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix))
}

/**
 * The allowlisted part of `env`, for a child process: PATH, HOME, temporary folders, locale,
 * `PIP_*`/`UV_*`, proxies, certificate settings and `SOURCE_DATE_EPOCH`. Nothing of GitHub,
 * Actions, OIDC or AWS, no `INPUT_*`, and none of the command-file paths. The import check builds
 * its own environment from scratch and may take pieces of this one (PATH, locale).
 */
export function childEnvironment(env: Env): Record<string, string> {
  const allowed: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && childMaySee(name)) allowed[name] = value
  }
  return allowed
}
