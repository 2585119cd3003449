// Downloads a file over the action's proxy-aware agents (the same choice of proxy as every AWS
// call), streamed to disk with its SHA-256 computed on the way: a version's code can be hundreds
// of megabytes. The URL may be presigned: messages name its host only, never its query.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { errorMessage } from '../errors.js'
import type { ProxyAgents } from './proxy-agent.js'

export interface Downloaded {
  /** Bytes written. */
  size: number
  /** Base64 SHA-256 of the bytes: Lambda's CodeSha256 form. */
  sha256: string
}

/** Fetches `url` into the file `path`. */
export type Download = (url: string, path: string) => Promise<Downloaded>

/** A connection that sends nothing for this long is given up. */
const IDLE_TIMEOUT_MS = 60_000

export class DownloadError extends Error {
  override name = 'DownloadError'
}

function open(url: URL, agents: ProxyAgents): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:'
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', agent: secure ? agents.httpsAgent : agents.httpAgent },
      resolve
    )
    request.setTimeout(IDLE_TIMEOUT_MS, () =>
      request.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`))
    )
    request.on('error', reject)
    request.end()
  })
}

export function downloadThrough(agents: ProxyAgents): Download {
  return async (address, path) => {
    const url = new URL(address)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new DownloadError(`cannot download from ${url.protocol}// URLs`)
    }
    const where = url.host
    let response: IncomingMessage
    try {
      response = await open(url, agents)
    } catch (error) {
      throw new DownloadError(`downloading from ${where} failed: ${errorMessage(error)}`, {
        cause: error
      })
    }
    if (response.statusCode !== 200) {
      response.resume()
      throw new DownloadError(
        `downloading from ${where} failed: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim()
      )
    }
    const hash = createHash('sha256')
    let size = 0
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length
        hash.update(chunk)
        done(null, chunk)
      }
    })
    try {
      await pipeline(response, count, createWriteStream(path))
    } catch (error) {
      throw new DownloadError(`downloading from ${where} broke off: ${errorMessage(error)}`, {
        cause: error
      })
    }
    return { size, sha256: hash.digest('base64') }
  }
}
