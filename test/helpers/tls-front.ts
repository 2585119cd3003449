// HTTPS in front of a plain-HTTP server on 127.0.0.1 (moto, a recorder standing in for the
// GitHub API), as the real endpoints are: the action reaches https://moto.test:<port> through a
// forward proxy's CONNECT tunnel, trusting a certificate made for the test (NODE_EXTRA_CA_CERTS).
// Each request is recorded with the port it came from, to check it against the proxy's.
//
//   const tls = await makeTestCertificate(dir, ['moto.test', 'github.test'])
//   const front = await startTlsFront(moto.url, tls)
//   ... AWS_ENDPOINT_URL: `https://moto.test:${front.port}`, NODE_EXTRA_CA_CERTS: tls.certFile ...
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

export interface TestCertificate {
  key: string
  cert: string
  /** The certificate as a file: NODE_EXTRA_CA_CERTS for the child. */
  certFile: string
}

/** A self-signed certificate for `names`, made with openssl, valid for a day. */
export function makeTestCertificate(dir: string, names: string[]): TestCertificate {
  const keyFile = join(dir, 'test-key.pem')
  const certFile = join(dir, 'test-cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
      '-keyout',
      keyFile,
      '-out',
      certFile
    ],
    { stdio: 'ignore' }
  )
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

export interface FrontRequest {
  method: string
  /** Host header as the client sent it. */
  host: string
  path: string
  /** The port the request's connection came from. */
  remotePort: number
}

export interface TlsFront {
  port: number
  requests: FrontRequest[]
  stop(): Promise<void>
}

/** HTTPS on 127.0.0.1, forwarding every request to `target` (`http://127.0.0.1:<port>`). */
export async function startTlsFront(
  target: string,
  certificate: TestCertificate
): Promise<TlsFront> {
  const requests: FrontRequest[] = []
  const upstream = new URL(target)
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    requests.push({
      method: req.method ?? '',
      host: req.headers.host ?? '',
      path: req.url ?? '',
      remotePort: req.socket.remotePort ?? 0
    })
    const onward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // moto reads a bucket from a Host that is not loopback (`moto.test` → bucket `moto`).
        headers: { ...req.headers, host: upstream.host }
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    onward.on('error', () => res.destroy())
    req.pipe(onward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
