// The one place AWS SDK clients are made. Credentials and region come from the SDK's default
// chain (configure-aws-credentials in workflows, plain environment variables in tests);
// AWS_ENDPOINT_URL, read by the SDK itself, points them at a local emulator. Connections follow
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY (net/proxy-agent.ts): the SDK itself reads none of them.
// The same agents carry the action's own downloads (a version's code, for a $LATEST restore).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import { USER_AGENT } from '../constants.js'
import { proxyAgents, type ProxyAgents } from '../net/proxy-agent.js'

export interface AwsClients {
  lambda: LambdaClient
  s3: S3Client
  /** Alarms and the new version's metrics during a traffic shift. */
  cloudwatch: CloudWatchClient
  /** The agents the clients connect through, for requests outside the SDK. */
  agents: ProxyAgents
}

export interface AwsClientOptions {
  /** Overrides the default chain (AWS_REGION, profile). Normally left out. */
  region?: string
  /** Attempts per call, first included, for throttling and 5xx (standard retry mode). */
  maxAttempts?: number
  /** Environment to read endpoint overrides and proxy variables from; process.env by default. */
  env?: NodeJS.ProcessEnv
}

/** Throttling and 5xx are retried by the SDK; Lambda's conflicts by our own retry (retry.ts). */
const DEFAULT_MAX_ATTEMPTS = 5

/**
 * An endpoint override means an emulator (moto, LocalStack, MinIO): those serve buckets by
 * path, not as `<bucket>.<host>` names that a loopback address cannot resolve.
 */
export function usesEndpointOverride(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return false
  return Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3)
}

/** `name/version` → the SDK's user-agent pair, so requests name the action in CloudTrail. */
function userAgentPair(): [string, string] {
  const [name = USER_AGENT, version = ''] = USER_AGENT.split('/')
  return [name, version]
}

export function createClients(options: AwsClientOptions = {}): AwsClients {
  const env = options.env ?? process.env
  const agents = proxyAgents(env)
  const common: {
    region?: string
    retryMode: string
    maxAttempts: number
    customUserAgent: [string, string][]
    requestHandler: ReturnType<typeof proxyAgents>
  } = {
    ...(options.region ? { region: options.region } : {}),
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    customUserAgent: [userAgentPair()],
    // The SDK's NodeHttpHandler, given agents that choose the proxy per connection. One pair
    // for every client: they share the kept-alive tunnels to the proxy.
    requestHandler: agents
  }
  return {
    agents,
    lambda: new LambdaClient(common),
    cloudwatch: new CloudWatchClient(common),
    s3: new S3Client({
      ...common,
      forcePathStyle: usesEndpointOverride(env)
    })
  }
}
