// Reads an action's stdout the way the runner does (actions/runner: ActionCommandManager and
// ActionCommand.TryParseV2/TryParse), and returns the workflow commands it would act on. A test
// then proves that text relayed from outside ran none: no output set, no mask, no annotation.
//
// The runner reads `::name props::data` after leading whitespace, and the older `##[name props]data`
// anywhere in a line; only registered names count. `::stop-commands::<token>` pauses every
// command until `::<token>::` (or `##[<token>]`).

const REGISTERED = new Set([
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning'
])

export interface LiveCommand {
  /** `set-output`, `error`, ... (lower-case). */
  command: string
  /** `name=code-sha256`, as written. */
  properties: string
  /** After the runner's unescaping of `%0A`, `%0D`, `%25`. */
  data: string
}

/** .NET's String.TrimStart: every Unicode white space, NEL (U+0085) included. */
function trimStartDotNet(line: string): string {
  return line.replace(/^[\s\u0085]+/u, '')
}

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function command(name: string, properties: string, data: string): LiveCommand {
  return { command: name.toLowerCase(), properties: properties.trim(), data: unescapeData(data) }
}

/** TryParseV2: `::name props::data` once leading white space is trimmed. */
function parseV2(line: string, registered: ReadonlySet<string>): LiveCommand | undefined {
  const trimmed = trimStartDotNet(line)
  if (!trimmed.startsWith('::')) return undefined
  const end = trimmed.indexOf('::', 2)
  if (end < 0) return undefined
  const info = trimmed.slice(2, end)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  return command(name, space < 0 ? '' : info.slice(space + 1), trimmed.slice(end + 2))
}

/** TryParse: `##[name props]data` anywhere in the line. */
function parseV1(line: string, registered: ReadonlySet<string>): LiveCommand | undefined {
  const start = line.indexOf('##[')
  if (start < 0) return undefined
  const close = line.indexOf(']', start)
  if (close < 0) return undefined
  const info = line.slice(start + 3, close)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  return command(name, space < 0 ? '' : info.slice(space + 1), line.slice(close + 1))
}

function parse(line: string, registered: ReadonlySet<string>): LiveCommand | undefined {
  return parseV2(line, registered) ?? parseV1(line, registered)
}

/**
 * The lines the runner reads with commands on, each with the command it acts on, if any:
 * everything but what lies between `::stop-commands::<token>` and its resume (those two lines
 * included: they run).
 */
function* readAsRunner(stdout: string): Generator<{ line: string; command?: LiveCommand }> {
  const registered = new Set(REGISTERED)
  let stopToken: string | undefined
  // The runner reads lines as .NET's StreamReader.ReadLine splits them.
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const command = parse(line, registered)
    if (stopToken !== undefined) {
      if (command?.command === stopToken) {
        registered.delete(stopToken)
        stopToken = undefined
        yield { line, command }
      }
      continue
    }
    if (command?.command === 'stop-commands' && command.data !== '') {
      stopToken = command.data.toLowerCase()
      registered.add(stopToken)
    }
    yield { line, command }
  }
}

/** The commands the runner would act on, in order (stop-commands and its resume included). */
export function liveCommands(stdout: string): LiveCommand[] {
  return [...readAsRunner(stdout)].flatMap(({ command }) => (command ? [command] : []))
}

/** The lines of `stdout` the runner reads with commands on. */
export function linesWithCommandsOn(stdout: string): string[] {
  return [...readAsRunner(stdout)].map(({ line }) => line)
}

/** The live commands other than the ones that pause and resume command processing. */
export function actingCommands(stdout: string): LiveCommand[] {
  const tokens = new Set<string>()
  return liveCommands(stdout).filter((command) => {
    if (command.command === 'stop-commands') {
      tokens.add(command.data.toLowerCase())
      return false
    }
    return !tokens.has(command.command)
  })
}
