// Before any change: the health sources of a traffic shift must be there and readable. Every
// named alarm must exist (a typo would otherwise watch nothing), GetMetricData must be allowed,
// and an alarm already in ALARM stops the deployment unless an alias still routes traffic from
// an earlier run's unfinished shift (this run must then be free to finish or roll it back).
import { INPUT } from '../../constants.js'
import { InputError } from '../../errors.js'
import type { AwsClients } from '../../aws/clients.js'
import { readAlias } from '../alias.js'
import { deployContext, type DeployDeps } from '../context.js'
import { functionNameOf, type FunctionTarget } from '../function-config.js'
import { readAlarms, readVersionMetrics } from './cloudwatch.js'
import type { HealthLimits } from './health.js'

export async function checkHealthSources(
  targets: readonly FunctionTarget[],
  alias: string,
  health: HealthLimits,
  clients: AwsClients,
  deps: DeployDeps = {}
): Promise<void> {
  const ctx = deployContext(clients, deps)
  const refs = targets.map((t) => ({
    functionId: functionNameOf(t.functionArn),
    functionName: t.functionName,
    alias
  }))
  const alarms = await readAlarms(ctx, health.alarms)
  const first = refs[0]
  if (first) {
    // Read-only, and what every check of the shift sends: a missing permission shows now.
    const now = ctx.now()
    await readVersionMetrics(ctx, {
      functionName: first.functionId,
      alias,
      version: '1',
      since: new Date(now - 5 * 60_000),
      until: new Date(now)
    })
  }
  if (alarms.length > 0) {
    ctx.log.info(`alarms: ${alarms.map((a) => `${a.name} ${a.state}`).join(', ')}`)
  }
  const inAlarm = alarms.filter((a) => a.state === 'ALARM')
  if (inAlarm.length === 0) return
  const found = await Promise.all(refs.map((ref) => readAlias(ctx, ref)))
  const unfinished = found.filter((state) => state?.routing).length
  const names = inAlarm.map((a) => `${a.name}${a.reason ? ` (${a.reason})` : ''}`).join('; ')
  if (unfinished === 0) {
    throw new InputError(
      INPUT.alarms,
      `${names}: in ALARM already, so a traffic shift would roll back before routing a single ` +
        'request. Nothing was changed. Deploy once the alarm is OK again (or, to ship a fix at ' +
        'once, without traffic and alarms).'
    )
  }
  ctx.log.warning(
    `alarms: ${names} in ALARM, and ${unfinished} alias${unfinished === 1 ? '' : 'es'} still ` +
      'route traffic from an unfinished shift: deploying, so that it is finished or rolled back.'
  )
}
