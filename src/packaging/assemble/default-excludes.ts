// What never goes into a function zip, whatever `exclude` says: what never runs on Lambda (.git,
// bytecode, virtualenvs, node_modules), and credentials (issue 18). Other steps of a job leave
// credentials in the workspace: google-github-actions/auth writes gha-creds-*.json at its root,
// setup-node and setup-python write .npmrc and .pypirc, ssh-agent set-ups and deploy keys leave
// id_* files, cloud SDKs keep theirs under .aws/, .azure/ and .config/gcloud/. With `source: .`
// (the default) every one of them would ship, readable by anyone who can read the function.

/** Why a path is left out by default: reported in the log, credentials as a warning. */
export type DefaultExclusion = 'not for Lambda' | 'credentials'

const NOT_FOR_LAMBDA_DIRECTORIES = new Set(['.git', '__pycache__', 'node_modules', '.venv', 'venv'])

/** Files that hold credentials by their very name, wherever they are. */
const CREDENTIAL_FILES = new Set([
  '.npmrc',
  '.pypirc',
  '.netrc',
  '_netrc',
  '.git-credentials',
  '.pgpass',
  '.boto',
  '.s3cfg',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'application_default_credentials.json'
])

/** google-github-actions/auth: `gha-creds-<random>.json`; PKCS#12 key stores. */
const CREDENTIAL_FILE_PATTERNS = [/^gha-creds-.*\.json$/i, /\.(p12|pfx)$/i]

/** Folders of credentials: SSH, GnuPG, the AWS and Azure CLIs. */
const CREDENTIAL_DIRECTORIES = new Set(['.aws', '.azure', '.ssh', '.gnupg'])

/** Credentials that only their place names: `<...>/.config/gcloud/`, `.docker/config.json`. */
const CREDENTIAL_PATHS: { parent: string; name: string; directory: boolean }[] = [
  { parent: '.config', name: 'gcloud', directory: true },
  { parent: '.docker', name: 'config.json', directory: false },
  { parent: '.kube', name: 'config', directory: false }
]

/**
 * The default rule `relativePath` (POSIX, relative to `source`) breaks by its name, if any.
 * Virtualenvs under other names are found by their `pyvenv.cfg`, and private keys in `*.pem`
 * files by their content (`pemHoldsSecret`): both need the disk.
 */
export function defaultExclusion(
  relativePath: string,
  isDirectory: boolean
): DefaultExclusion | undefined {
  const parts = relativePath.split('/')
  const name = parts[parts.length - 1] ?? ''
  const parent = parts[parts.length - 2]
  // `.git` is a file in worktrees and submodules; `.env*` may be a folder of secrets too. Both
  // were always left out, `.env.example` among them, so they stay a line in the log.
  if (name === '.git' || name.startsWith('.env')) return 'not for Lambda'
  const placed = CREDENTIAL_PATHS.some(
    (p) => p.parent === parent && p.name === name && p.directory === isDirectory
  )
  if (placed) return 'credentials'
  if (isDirectory) {
    if (CREDENTIAL_DIRECTORIES.has(name)) return 'credentials'
    return NOT_FOR_LAMBDA_DIRECTORIES.has(name) ? 'not for Lambda' : undefined
  }
  if (CREDENTIAL_FILES.has(name) || CREDENTIAL_FILE_PATTERNS.some((p) => p.test(name))) {
    return 'credentials'
  }
  return name.endsWith('.pyc') ? 'not for Lambda' : undefined
}

/** Files whose content decides: certificates ship, keys do not. */
const KEY_OR_CERTIFICATE = /\.(pem|key|p8|crt|cer)$/i
/** Without a PEM block these are keys (DER); `.crt` and `.cer` are certificates by convention. */
const KEY_BY_NAME = /\.(pem|key|p8)$/i
/** PEM labels that hold nothing secret. */
const PUBLIC_PEM_LABELS = new Set([
  'CERTIFICATE',
  'TRUSTED CERTIFICATE',
  'X509 CRL',
  'PUBLIC KEY',
  'RSA PUBLIC KEY',
  'CERTIFICATE REQUEST',
  'NEW CERTIFICATE REQUEST',
  'DH PARAMETERS',
  'EC PARAMETERS'
])

/** Whether `name` is a key or certificate file, whose content `pemHoldsSecret` must judge. */
export function isKeyOrCertificateFile(name: string): boolean {
  return KEY_OR_CERTIFICATE.test(name)
}

/**
 * A key or certificate file holds a secret unless every PEM block in it is public: a CA bundle
 * (`global-bundle.pem` for RDS) ships, a private key (`-----BEGIN PRIVATE KEY-----`, `RSA`,
 * `EC`, `OPENSSH`, `ENCRYPTED`) never does, nor a combined certificate-and-key file.
 */
export function pemHoldsSecret(name: string, content: Buffer): boolean {
  const labels = [...content.toString('latin1').matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map(
    (match) => match[1] ?? ''
  )
  if (labels.length === 0) return KEY_BY_NAME.test(name)
  return labels.some((label) => !PUBLIC_PEM_LABELS.has(label))
}
