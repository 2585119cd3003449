import { describe, expect, it } from 'vitest'
import { RUNTIME_PROVIDED_MODULES } from '../../src/lambda-facts.js'
import { FAILURE_MARKER } from '../../src/packaging/verify/import-check-script.js'
import {
  importFailureMessage,
  parseFailure,
  type FailureContext,
  type ImportFailureDetail
} from '../../src/packaging/verify/import-failure.js'

const context: FailureContext = {
  handler: 'orders/handler.handler',
  module: 'orders.handler',
  architecture: 'x86_64',
  pythonVersion: '3.12',
  variablesFrom: 'import-env',
  runtimeModules: RUNTIME_PROVIDED_MODULES
}

const traceback = [
  'Traceback (most recent call last):',
  '  File "/tmp/check/task/orders/handler.py", line 4, in <module>',
  "    TABLE = os.environ['TABLE_NAME']",
  "KeyError: 'TABLE_NAME'"
].join('\n')

describe('parseFailure', () => {
  it('reads the last marker line the script printed', () => {
    const stderr = `${traceback}\n${FAILURE_MARKER} {"kind": "environ", "variable": "TABLE_NAME", "file": "orders/handler.py", "line": 4}\n`
    expect(parseFailure(stderr)).toEqual({
      kind: 'environ',
      variable: 'TABLE_NAME',
      file: 'orders/handler.py',
      line: 4
    })
  })

  it.each([
    ['no marker (the interpreter died)', 'Segmentation fault'],
    ['a damaged marker line', `${FAILURE_MARKER} {"kind":`],
    ['a marker without a kind', `${FAILURE_MARKER} {"variable": "X"}`]
  ])('gives nothing for %s', (_, stderr) => {
    expect(parseFailure(stderr)).toBeUndefined()
  })
})

const message = (detail: ImportFailureDetail | undefined, more: Partial<FailureContext> = {}) =>
  importFailureMessage(detail, { ...context, ...more }, `${traceback}\n${FAILURE_MARKER} {}`)

describe('importFailureMessage', () => {
  it('names an unset variable, where it is read, and both ways out; never a missing distribution', () => {
    const text = message({
      kind: 'environ',
      variable: 'TABLE_NAME',
      file: 'orders/handler.py',
      line: 4
    })
    expect(text).toMatch(
      /^import check: importing handler 'orders\/handler\.handler' from the x86_64 package with Python 3\.12 failed: the handler reads the environment variable TABLE_NAME when it is imported \(orders\/handler\.py, line 4\), and nothing set it \(the import-env input has no TABLE_NAME\)\./
    )
    expect(text).toContain("Set TABLE_NAME in the function's configuration (Environment.Variables")
    expect(text).toContain('the import-env input (a line TABLE_NAME=<value>)')
    expect(text).not.toMatch(/missing distribution/)
    // The interpreter's last lines follow; the marker line does not.
    expect(text.split('\n').slice(1)).toEqual(traceback.split('\n'))
  })

  it("says a deploy's function lacks the variable in its configuration", () => {
    expect(
      message(
        { kind: 'environ', variable: 'TABLE_NAME' },
        { variablesFrom: 'function-configuration' }
      )
    ).toContain("(the function's configuration has no TABLE_NAME)")
  })

  it('still says a missing distribution is missing', () => {
    expect(message({ kind: 'module', name: 'requests', file: 'orders/handler.py' })).toMatch(
      /No module named 'requests' \(orders\/handler\.py\); on Lambda this is Runtime\.ImportModuleError\. Add the missing distribution to requirements/
    )
  })

  it("says the handler's own module is missing, pointing at the handler input", () => {
    expect(message({ kind: 'module', name: 'orders' })).toMatch(
      /the package has no module 'orders'.*Check the handler input/
    )
  })

  it("says Lambda's boto3 could not be had, and why, instead of asking to package it", () => {
    const text = message(
      { kind: 'module', name: 'boto3.session' },
      { runtimeMissing: 'pip could not fetch them: 403 Forbidden' }
    )
    expect(text).toMatch(
      /imports boto3, which Lambda's runtime provides, but the import check could not get Lambda's copy: pip could not fetch them: 403 Forbidden/
    )
    expect(text).not.toMatch(/missing distribution/)
  })

  it("names a missing shared library and that Lambda's runtime lacks it", () => {
    expect(
      message({
        kind: 'library',
        library: 'libtbb.so.12',
        module: 'numba/np/ufunc/tbbpool.cpython-312-x86_64-linux-gnu.so'
      })
    ).toMatch(
      /numba\/np\/ufunc\/tbbpool\.cpython-312-x86_64-linux-gnu\.so needs libtbb\.so\.12, which neither the package nor Lambda's runtime provides \(on Lambda: "libtbb\.so\.12: cannot open shared object file"\)/
    )
  })

  it.each([
    [{ kind: 'handler' as const }, /Runtime\.HandlerNotFound\. Fix the handler input/],
    [
      {
        kind: 'exception' as const,
        error: 'ValueError: bad stage',
        file: 'orders/config.py',
        line: 9
      },
      /the module raised ValueError: bad stage \(orders\/config\.py, line 9\) while it was imported/
    ],
    [{ kind: 'glibc' as const, version: 'GLIBC_2.28', module: 'x.so' }, /x\.so needs GLIBC_2\.28/],
    [
      {
        kind: 'syntax' as const,
        error: 'SyntaxError: invalid syntax',
        file: 'orders/handler.py',
        line: 7
      },
      /orders\/handler\.py, line 7, is not valid Python 3\.12 \(SyntaxError: invalid syntax\); on Lambda this is Runtime\.UserCodeSyntaxError\. Write it for Python 3\.12/
    ],
    [undefined, /; on Lambda this is Runtime\.ImportModuleError\./]
  ])('explains %j', (detail, expected) => {
    expect(message(detail)).toMatch(expected)
  })
})
