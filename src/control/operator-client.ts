/**
 * The operator's client of the controller's API (what `slim-mesh ctl` uses): each
 * request carries the admin credential and a fresh DPoP proof signed by its key.
 *
 * ```ts
 * const ctl = await operatorClient('http://127.0.0.1:7460', await readCredentials('admin.creds'))
 * await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
 * ```
 */
import type { CredentialsFile } from '../trust/credentials-file.js'
import { proofSigner } from './proofs.js'
import { controllerCall } from './control-client.js'
import { ControlRequestError } from './errors.js'

export interface OperatorClient {
  readonly url: string
  request: <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>
}

export async function operatorClient (url: string, creds: CredentialsFile): Promise<OperatorClient> {
  if (creds.kind !== 'slim-mesh/agent' || creds.key == null) throw new ControlRequestError('the controller needs an admin credential with its key (the admin.creds file in the controller\'s data directory, or slim-mesh credential issue --admin)')
  const signer = await proofSigner(creds.key)
  const base = url.replace(/\/+$/, '')
  return {
    url: base,
    request: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const full = base + path
      return await controllerCall(full, method, { authorization: `SlimMesh ${creds.credential}`, dpop: await signer.sign(method, full.split('?')[0] as string) }, body) as T
    }
  }
}
