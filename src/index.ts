import * as core from '@actions/core'
import { keepEnvironmentPrivate } from './private-environment.js'

// Before anything else, and before the pipeline's modules load (some read the environment as
// they load): the job's secrets leave /proc/<pid>/environ (private-environment.ts).
const privacy = keepEnvironmentPrivate()
const { run } = await import('./main.js')
await run()
// Said last: the log starts with the masks of the secrets run() registers.
if (privacy.state === 'unavailable') {
  core.debug(`/proc/${process.pid}/environ still shows the job's environment: ${privacy.reason}`)
}
