/** A problem the user can fix: the message names the input or package and the way out. */
export class UserError extends Error {
  override name = 'UserError'
}

/** A bad input value, caught before any work starts. */
export class InputError extends UserError {
  override name = 'InputError'
  constructor(
    readonly input: string,
    problem: string
  ) {
    super(`${input}: ${problem}`)
  }
}

/** Message of anything thrown, Error or not (a non-Error throw still fails the step). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}
