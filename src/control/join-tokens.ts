/**
 * One-time join tokens: how a relay with no credential yet becomes one of the mesh's
 * (`slim-mesh ctl tokens create`, then `slim-mesh node --controller URL --join-token T`).
 * A token is `<mesh id>.<secret>`: the mesh id lets the joining relay check the
 * authority it is given (its key's thumbprint must be that id, as kubeadm checks a CA
 * hash), the secret proves the operator sent it. The controller keeps only the secret's
 * hash, takes each token once (the same relay may present it again, so a registration
 * interrupted half way can be retried), and refuses expired ones.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { KeyValueStore } from '../store/store.js'
import { ControllerError, ControlRequestError } from './errors.js'

const PREFIX = 'ctl/token/'
const DEFAULT_TTL_SECONDS = 3600

export interface JoinTokenRecord {
  id: string
  createdAt: number
  expiresAt: number
  note?: string
  usedBy?: string
  usedAt?: number
  revoked?: boolean
}

function secretHash (secret: string): string { return createHash('sha256').update(secret).digest('hex') }

/** Splits a join token into its mesh id and secret (a `ControllerError` if it is not one). */
export function parseJoinToken (token: string): { mesh: string, secret: string } {
  const dot = token.lastIndexOf('.')
  const mesh = token.slice(0, dot)
  const secret = token.slice(dot + 1)
  if (dot <= 0 || !/^[A-Za-z0-9_-]{43}$/.test(secret) || !/^[A-Za-z0-9_-]{43}$/.test(mesh)) throw new ControllerError(400, 'join-token.malformed', 'a join token is <mesh id>.<secret>, as `slim-mesh ctl tokens create` prints it')
  return { mesh, secret }
}

export class JoinTokens {
  private readonly store: KeyValueStore
  private readonly mesh: string
  private readonly now: () => number

  constructor (store: KeyValueStore, mesh: string, now: () => number = Date.now) {
    this.store = store
    this.mesh = mesh
    this.now = now
  }

  async create (options: { ttlSeconds?: number, note?: string } = {}): Promise<{ token: string, record: JoinTokenRecord }> {
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
    if (!(ttl > 0) || ttl > 30 * 86400) throw new ControlRequestError(`a join token lives between 1 s and 30 days, not ${ttl} s`)
    const secret = randomBytes(32).toString('base64url')
    const id = secretHash(secret).slice(0, 16)
    const record: JoinTokenRecord = { id, createdAt: this.now(), expiresAt: this.now() + ttl * 1000, ...(options.note != null ? { note: options.note } : {}) }
    await this.put(record)
    return { token: `${this.mesh}.${secret}`, record }
  }

  /** Takes a token for `peerId`; a `ControllerError` naming the rule if it cannot be. */
  async consume (token: string, peerId: string): Promise<JoinTokenRecord> {
    const { mesh, secret } = parseJoinToken(token)
    if (mesh !== this.mesh) throw new ControllerError(403, 'join-token.wrong-mesh', `the token is for mesh ${mesh}; this controller runs mesh ${this.mesh}`)
    const id = secretHash(secret).slice(0, 16)
    const record = await this.get(id)
    if (record == null) throw new ControllerError(403, 'join-token.unknown', 'this controller issued no such join token')
    if (record.revoked === true) throw new ControllerError(403, 'join-token.revoked', `join token ${id} was revoked`)
    if (record.usedBy != null && record.usedBy !== peerId) throw new ControllerError(403, 'join-token.used', `join token ${id} was used already (by ${record.usedBy}); create one per relay`)
    if (record.usedBy == null && record.expiresAt <= this.now()) throw new ControllerError(403, 'join-token.expired', `join token ${id} expired at ${new Date(record.expiresAt).toISOString()}`)
    if (record.usedBy == null) {
      record.usedBy = peerId
      record.usedAt = this.now()
      await this.put(record)
    }
    return record
  }

  async revoke (id: string): Promise<JoinTokenRecord> {
    const record = await this.get(id)
    if (record == null) throw new ControlRequestError(`no join token ${id}`)
    record.revoked = true
    await this.put(record)
    return record
  }

  async list (): Promise<JoinTokenRecord[]> {
    return (await this.store.list(PREFIX)).map(([, v]) => JSON.parse(new TextDecoder().decode(v)) as JoinTokenRecord).sort((a, b) => a.createdAt - b.createdAt)
  }

  private async get (id: string): Promise<JoinTokenRecord | undefined> {
    const v = await this.store.get(PREFIX + id)
    return v == null ? undefined : JSON.parse(new TextDecoder().decode(v)) as JoinTokenRecord
  }

  private async put (r: JoinTokenRecord): Promise<void> {
    await this.store.put(PREFIX + r.id, new TextEncoder().encode(JSON.stringify(r)))
  }
}
