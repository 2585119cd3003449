import { keepEnvironmentPrivate } from './private-environment.js'

// Before anything else, and before the pipeline's modules load (some read the environment as
// they load): the job's secrets leave /proc/<pid>/environ (private-environment.ts).
keepEnvironmentPrivate()
const { run } = await import('./main.js')
await run()
