/**
 * The revocations a relay holds: by credential id, and by key (every credential of that
 * key issued before a time). A revocation signed by an issuer applies only to what that
 * issuer signed; one signed by the authority applies to everything.
 */
export interface Revocation {
  /** The revocation's own id (`jti`). */
  id: string
  /** Who signed it: the mesh id (the authority) or an issuer's key id. */
  by: string
  byAuthority: boolean
  credential?: string
  key?: string
  /** Key revocations: credentials issued before this (seconds) are revoked. */
  before?: number
  issuedAt: number
  /** The signed JWT, to pass on to other relays. */
  jwt: string
}

/** What a revocation is checked against. */
export interface Revocable {
  id: string
  keyId: string
  issuedAt: number
  /** The key id of the issuer that signed it (the mesh id for the authority). */
  issuer: string
}

export class RevocationList {
  private readonly all = new Map<string, Revocation>()
  private readonly byCredential = new Map<string, Revocation[]>()
  private readonly byKey = new Map<string, Revocation[]>()

  /** Adds one; false if it was already known. */
  add (r: Revocation): boolean {
    if (this.all.has(r.id)) return false
    this.all.set(r.id, r)
    const index = r.credential != null ? this.byCredential : this.byKey
    const k = (r.credential ?? r.key) as string
    index.set(k, [...(index.get(k) ?? []), r])
    return true
  }

  get size (): number { return this.all.size }
  list (): Revocation[] { return [...this.all.values()] }

  /** The revocation that revokes `c`, if any. */
  revoking (c: Revocable): Revocation | undefined {
    const applies = (r: Revocation): boolean => r.byAuthority || r.by === c.issuer
    const direct = this.byCredential.get(c.id)?.find(applies)
    if (direct != null) return direct
    return this.byKey.get(c.keyId)?.find(r => applies(r) && c.issuedAt < (r.before ?? Infinity))
  }
}
