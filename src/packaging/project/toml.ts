// TOML as the project files hold it (pyproject.toml, uv.lock, poetry.lock, Pipfile, pylock.toml):
// read with smol-toml, an unreadable file named with the way to fix it, tables read leniently.
import { parse } from 'smol-toml'
import { UserError } from '../../errors.js'

export type Table = Record<string, unknown>

/** `value` when it is a table, else an empty one. */
export function table(value: unknown): Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Table)
    : {}
}

/** The document in `text`; not TOML: a UserError naming `file` and, when given, the fix. */
export function parseToml(text: string, file: string, fix?: string): Table {
  try {
    return parse(text) as Table
  } catch (error) {
    const problem = (error as Error).message.split('\n')[0]
    throw new UserError(`${file} is not valid TOML (${problem})${fix ? `; ${fix}` : ''}`)
  }
}
