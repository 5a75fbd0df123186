/**
 * The operator's client of the controller's API (what `slim-mesh ctl` uses): each
 * request carries the admin credential and a fresh DPoP proof signed by its key. Given
 * several controllers of one mesh (comma-separated), it goes to whichever leads.
 *
 * ```ts
 * const ctl = await operatorClient('http://127.0.0.1:7460', await readCredentials('admin.creds'))
 * await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
 * ```
 */
import type { CredentialsFile } from '../trust/credentials-file.js'
import { proofSigner } from './proofs.js'
import { controllerCall, controllerUrls } from './control-client.js'
import { ControllerError, ControlRequestError, NotLeaderError } from './errors.js'

export interface OperatorClient {
  readonly url: string
  request: <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>
}

export async function operatorClient (url: string, creds: CredentialsFile): Promise<OperatorClient> {
  if (creds.kind !== 'slim-mesh/agent' || creds.key == null) throw new ControlRequestError('the controller needs an admin credential with its key (the admin.creds file in the controller\'s data directory, or slim-mesh credential issue --admin)')
  const signer = await proofSigner(creds.key)
  const urls = controllerUrls({ url })
  let base = urls[0] as string
  const once = async (at: string, method: string, path: string, body?: unknown): Promise<unknown> => {
    const full = at + path
    return await controllerCall(full, method, { authorization: `SlimMesh ${creds.credential}`, dpop: await signer.sign(method, full.split('?')[0] as string) }, body)
  }
  return {
    get url () { return base },
    // Several controllers (comma-separated): one that does not answer or does not lead sends the request on to the leader it names, or the next.
    request: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const tried = new Set<string>()
      let next: string | undefined = base
      let last: unknown
      while (next != null) {
        const at: string = next
        tried.add(at)
        try {
          const out = await once(at, method, path, body)
          base = at
          return out as T
        } catch (err) {
          if (urls.length < 2 || !(err instanceof ControllerError) || !(err.status === 0 || err instanceof NotLeaderError)) throw err
          last = err
          const hint = err instanceof NotLeaderError ? err.leader?.replace(/\/+$/, '') : undefined
          next = hint != null && !tried.has(hint) ? hint : urls.find(u => !tried.has(u))
        }
      }
      throw last
    }
  }
}
