import { runtimeFacts, type RuntimeFacts } from '../../src/lambda-facts.js'

/** The facts of a runtime the tests name; a typo fails loudly instead of passing undefined. */
export function runtimeNamed(name: string): RuntimeFacts {
  const facts = runtimeFacts(name)
  if (!facts) throw new Error(`no such runtime in lambda-facts: ${name}`)
  return facts
}
