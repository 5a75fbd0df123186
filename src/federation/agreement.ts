/**
 * A peering agreement between two meshes (issue 13; docs/FEDERATION.md): what each side
 * owns and exports (name prefixes, as streams to follow or services to call), what it
 * imports from the other (optionally renamed into a local prefix), which border relays
 * carry it (two or more on each side), its limits and its expiry.
 *
 * It is one JSON document, signed by both meshes' authorities as a JWS in the general
 * JSON serialization (RFC 7515 section 7.2.1): one payload, one signature per authority,
 * each with its own protected header (`typ: slim-peering+jws`, `kid`: the mesh id). Both
 * sign the very same payload bytes, so no canonical JSON is needed: a counter-proposal is
 * a new payload (its `version` one higher) signed by its proposer alone, and acceptance is
 * the other authority adding its signature to that payload (`countersign`). `jose` signs
 * and verifies; nothing here is hand-rolled crypto.
 *
 * `checkAgreement` is the document's rules, each refusal a `PeeringError` naming its rule:
 * the two meshes differ and own disjoint prefixes; each export lies within what its mesh
 * owns; each import is of a prefix the other side exports (of the same kind), renamed
 * only into a prefix its own mesh owns; two or more distinct borders a side; positive
 * limits; an expiry in the future.
 */
import { GeneralSign, generalVerify, importJWK } from 'jose'
import type { GeneralJWS, JWK } from 'jose'
import { z } from 'zod'
import { ALG, thumbprint } from '../trust/keys.js'
import type { Authority } from '../trust/keys.js'
import { parsePattern, patternWithin } from '../trust/patterns.js'
import { PeeringError } from './errors.js'
import { checkRename } from './name-mapping.js'

export const PEERING_TYP = 'slim-peering+jws'

/** What one side exports: a prefix of names, as streams to follow (multicast, channels) or services to call. */
export interface PeeringExport { prefix: string, kind: 'stream' | 'service' }
/** What one side imports of the other's exports, optionally renamed into a local prefix (`as`). */
export interface PeeringImport { prefix: string, as?: string }

export interface PeeringSide {
  /** The mesh id: its authority's key thumbprint. */
  mesh: string
  /** The authority's public key (the id is its thumbprint, checked). */
  authority: JWK
  /** The name prefixes this mesh owns: announcements from it for other names are refused. */
  owns: string[]
  exports: PeeringExport[]
  imports: PeeringImport[]
  /** Peer ids of the border relays that carry the peering on this side (two or more). */
  borders: string[]
}

export interface PeeringLimits {
  /** Messages a second crossing in each direction. */
  messagesPerSecond: number
  /** Bytes a second crossing in each direction. */
  bytesPerSecond: number
  /** Distinct names whose routes may cross from one side. */
  names: number
}

export interface PeeringAgreement {
  v: 1
  /** The peering's id, the same through every version. */
  id: string
  /** One higher with each counter-proposal. */
  version: number
  /** The two sides, the proposer first. */
  sides: [PeeringSide, PeeringSide]
  limits: PeeringLimits
  /** Unix time, seconds: the agreement is void after it. */
  expires: number
}

const pattern = z.string().refine(p => { try { parsePattern(p); return true } catch { return false } }, { error: 'must be a name pattern such as acme/** or acme/public/*' })
const jwk = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(1) })
const side = z.strictObject({
  mesh: z.string().min(1),
  authority: jwk,
  owns: z.array(pattern).min(1),
  exports: z.array(z.strictObject({ prefix: pattern, kind: z.enum(['stream', 'service']) })),
  imports: z.array(z.strictObject({ prefix: pattern, as: pattern.optional() })),
  borders: z.array(z.string().min(1))
})
const schema = z.strictObject({
  v: z.literal(1),
  id: z.string().min(8).max(128),
  version: z.int().min(1),
  sides: z.tuple([side, side]),
  limits: z.strictObject({ messagesPerSecond: z.number(), bytesPerSecond: z.number(), names: z.int() }),
  expires: z.int()
})

/** Reads an agreement's JSON shape (no rules yet: see checkAgreement). */
export function parseAgreement (input: unknown): PeeringAgreement {
  const r = schema.safeParse(input)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new PeeringError('malformed', `the peering agreement is malformed: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  return r.data as PeeringAgreement
}

/** The agreement's rules (see the top of this file); `now` in seconds. */
export async function checkAgreement (a: PeeringAgreement, now = Math.floor(Date.now() / 1000)): Promise<void> {
  const [x, y] = a.sides
  if (x.mesh === y.mesh) throw new PeeringError('same-mesh', `both sides of peering ${a.id} are mesh ${x.mesh}: a mesh does not peer with itself`)
  for (const s of a.sides) {
    if (await thumbprint(s.authority) !== s.mesh) throw new PeeringError('authority', `the authority key given for mesh ${s.mesh} is not that mesh's (its thumbprint differs)`)
    if (new Set(s.borders).size < 2) throw new PeeringError('borders', `mesh ${s.mesh} names ${new Set(s.borders).size} border relay(s) for peering ${a.id}; two or more are needed, so one can take over from the other`)
    for (const e of s.exports) {
      if (!s.owns.some(o => patternWithin(e.prefix, o))) throw new PeeringError('export-not-owned', `mesh ${s.mesh} exports ${e.prefix}, which is not within what it owns (${s.owns.join(', ')})`)
    }
  }
  for (const o of x.owns) {
    for (const p of y.owns) {
      if (patternWithin(o, p) || patternWithin(p, o) || overlaps(o, p)) throw new PeeringError('owners-overlap', `both meshes claim names of ${o} / ${p}: who owns a name must be clear`)
    }
  }
  for (const [me, other] of [[x, y], [y, x]] as const) {
    for (const imp of me.imports) {
      const exp = other.exports.find(e => patternWithin(imp.prefix, e.prefix))
      if (exp == null) throw new PeeringError('import-not-exported', `mesh ${me.mesh} imports ${imp.prefix}, which mesh ${other.mesh} does not export`)
      if (imp.as != null) {
        checkRename(imp.prefix, imp.as)
        if (!me.owns.some(o => patternWithin(imp.as as string, o))) throw new PeeringError('rename-not-owned', `mesh ${me.mesh} renames ${imp.prefix} into ${imp.as}, which is not within what it owns (${me.owns.join(', ')})`)
      }
    }
  }
  const { messagesPerSecond, bytesPerSecond, names } = a.limits
  if (!(messagesPerSecond > 0 && bytesPerSecond > 0 && names > 0)) throw new PeeringError('limits', `the limits of peering ${a.id} must all be positive (messages ${messagesPerSecond}/s, bytes ${bytesPerSecond}/s, names ${names})`)
  if (a.expires <= now) throw new PeeringError('expired', `peering ${a.id} expired at ${new Date(a.expires * 1000).toISOString()}`)
}

/** Whether two patterns can match a common name (one component each, `*` matching any). */
function overlaps (a: string, b: string): boolean {
  const p = a.split('/')
  const q = b.split('/')
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    const u = p[i]
    const v = q[i]
    if (u === '**' || v === '**') return true
    if (u == null || v == null) return false
    if (u !== '*' && v !== '*' && u !== v) return false
  }
  return true
}

/** The side of `mesh` in the agreement, and the other. */
export function sidesOf (a: PeeringAgreement, mesh: string): { local: PeeringSide, remote: PeeringSide } {
  const [x, y] = a.sides
  if (x.mesh === mesh) return { local: x, remote: y }
  if (y.mesh === mesh) return { local: y, remote: x }
  throw new PeeringError('not-a-party', `mesh ${mesh} is not a party to peering ${a.id}`)
}

/** A proposal: the agreement signed by one of its two authorities (after its rules are checked). */
export async function proposeAgreement (a: PeeringAgreement, authority: Authority): Promise<GeneralJWS> {
  await checkAgreement(a)
  sidesOf(a, authority.authority.mesh)
  const payload = new TextEncoder().encode(JSON.stringify(a))
  const sign = new GeneralSign(payload)
  sign.addSignature(authority.privateKey).setProtectedHeader({ alg: ALG, typ: PEERING_TYP, kid: authority.authority.mesh })
  return await sign.sign()
}

/** Acceptance: `authority` adds its signature to the very payload the other side signed. */
export async function countersign (jws: GeneralJWS, authority: Authority): Promise<GeneralJWS> {
  const { agreement, signedBy } = await verifyAgreement(jws)
  const mesh = authority.authority.mesh
  sidesOf(agreement, mesh)
  if (signedBy.includes(mesh)) throw new PeeringError('already-signed', `mesh ${mesh} already signed version ${agreement.version} of peering ${agreement.id}`)
  const sign = new GeneralSign(new Uint8Array(Buffer.from(jws.payload, 'base64url')))
  sign.addSignature(authority.privateKey).setProtectedHeader({ alg: ALG, typ: PEERING_TYP, kid: mesh })
  const own = await sign.sign()
  return { payload: jws.payload, signatures: [...jws.signatures, ...own.signatures] }
}

function jwsPayloadText (jws: GeneralJWS): string {
  return Buffer.from(jws.payload, 'base64url').toString('utf8')
}

export interface VerifiedAgreement {
  agreement: PeeringAgreement
  /** The meshes whose authorities' signatures verify, in the order they signed. */
  signedBy: string[]
  /** Both parties signed: the agreement is in force (until it expires). */
  complete: boolean
}

/**
 * Verifies each signature of an agreement against the authority key the agreement gives
 * for the mesh it names (`kid`), after checking the agreement's rules. A signature by
 * anyone else, or one that does not verify, is refused (`signature`).
 */
export async function verifyAgreement (jws: GeneralJWS, now = Math.floor(Date.now() / 1000)): Promise<VerifiedAgreement> {
  let agreement: PeeringAgreement
  try {
    agreement = parseAgreement(JSON.parse(jwsPayloadText(jws)))
  } catch (err) {
    if (err instanceof PeeringError) throw err
    throw new PeeringError('malformed', 'the peering agreement is not JSON', { cause: err })
  }
  await checkAgreement(agreement, now)
  if (!Array.isArray(jws.signatures) || jws.signatures.length === 0 || jws.signatures.length > 2) throw new PeeringError('signature', `peering ${agreement.id} carries ${jws.signatures?.length ?? 0} signatures; one or two (one per mesh) are expected`)
  const signedBy: string[] = []
  for (const sig of jws.signatures) {
    let kid: unknown
    try { kid = (JSON.parse(Buffer.from(sig.protected ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid } catch {}
    const party = agreement.sides.find(s => s.mesh === kid)
    if (party == null || signedBy.includes(party.mesh)) throw new PeeringError('signature', `a signature on peering ${agreement.id} names ${String(kid)}, which is not a party that has not signed yet`)
    try {
      const key = await importJWK(party.authority, ALG)
      const r = await generalVerify({ payload: jws.payload, signatures: [sig] }, key, { algorithms: [ALG] })
      if (r.protectedHeader?.typ !== PEERING_TYP) throw new Error(`typ ${String(r.protectedHeader?.typ)}`)
    } catch (err) {
      throw new PeeringError('signature', `the signature of mesh ${party.mesh} on peering ${agreement.id} does not verify`, { cause: err })
    }
    signedBy.push(party.mesh)
  }
  return { agreement, signedBy, complete: signedBy.length === 2 }
}
