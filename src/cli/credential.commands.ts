/**
 * `slim-mesh authority init` and `slim-mesh credential issue | revoke | show`: the mesh
 * authority's tools (like NATS's `nsc`). Credentials are files (src/trust/credentials-file.ts);
 * `issue` and `revoke` write one to `--out` or print it.
 *
 *   slim-mesh authority init --out mesh/authority.json
 *   slim-mesh credential issue --signer mesh/authority.json --issuer 'acme/**' --out acme.issuer
 *   slim-mesh credential issue --signer acme.issuer --agent acme/research/summarizer \
 *     --subscribe 'acme/research/*' --serve acme/research/summarizer --publish-anycast 'acme/**' --out summarizer.creds
 *   slim-mesh credential issue --signer mesh/authority.json --relay 12D3KooW... --out relay.creds
 *   slim-mesh credential revoke --signer mesh/authority.json --id <credential id> --relay HOST:PORT --credentials admin.creds
 *   slim-mesh credential show summarizer.creds --authority mesh/authority.pub.json
 */
import { access } from 'node:fs/promises'
import { Option } from 'commander'
import type { Command } from 'commander'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import type { JWK } from 'jose'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { createAuthority, thumbprint } from '../trust/keys.js'
import type { AuthorityPublic, SigningKey } from '../trust/keys.js'
import { delegateIssuer, issueAgentCredential, issueRelayCredential, issueRevocation } from '../trust/tokens.js'
import { allGrants } from '../trust/grants.js'
import type { Grants } from '../trust/grants.js'
import { formatCredentials, readCredentials, writeCredentials } from '../trust/credentials-file.js'
import type { CredentialsFile } from '../trust/credentials-file.js'
import { TrustAnchors } from '../trust/verifier.js'
import { connectAgent } from '../agent/agent.js'
import { collectOption } from './options.js'
import { UsageError } from './errors.js'

async function exists (path: string): Promise<boolean> {
  try { await access(path); return true } catch { return false }
}

/** Writes `c` to `out` (never over an existing file unless `force`), or prints it. */
async function emit (c: CredentialsFile, out: string | undefined, force = false): Promise<void> {
  if (out == null) { process.stdout.write(formatCredentials(c)); return }
  if (!force && await exists(out)) throw new UsageError(`${out} exists; remove it or pass --force to replace it`)
  await writeCredentials(out, c)
  console.error(`wrote ${out}`)
}

/** The signing key in a file: the authority, or an issuer. */
async function signer (path: string): Promise<{ key: SigningKey, authority: AuthorityPublic }> {
  const f = await readCredentials(path)
  if (f.kind === 'slim-mesh/authority') return { key: f.authority, authority: f.authority.authority }
  if (f.kind === 'slim-mesh/issuer') return { key: f.issuer, authority: f.authority }
  throw new UsageError(`${path} is a ${f.kind} file; --signer takes the authority's file or an issuer's credentials`)
}

interface IssueFlags {
  signer: string
  agent?: string
  relay?: string
  issuer?: string
  border?: boolean
  publishAnycast: string[]
  publishMulticast: string[]
  publishUnicast: string[]
  subscribe: string[]
  serve: string[]
  channels: string[]
  all?: boolean
  admin?: boolean
  expires?: string
  forKey?: string
  out?: string
  force?: boolean
}

function grantsOf (o: IssueFlags, prefix: string): Grants {
  if (o.all === true) return allGrants(prefix === '**' ? '**' : prefix)
  const publish: Grants['publish'] = {}
  if (o.publishAnycast.length > 0) publish.anycast = o.publishAnycast
  if (o.publishMulticast.length > 0) publish.multicast = o.publishMulticast
  if (o.publishUnicast.length > 0) publish.unicast = o.publishUnicast
  return {
    ...(Object.keys(publish).length > 0 ? { publish } : {}),
    ...(o.subscribe.length > 0 ? { subscribe: o.subscribe } : {}),
    ...(o.serve.length > 0 ? { serve: o.serve } : {}),
    ...(o.channels.length > 0 ? { channels: o.channels } : {})
  }
}

export function registerCredentialCommands (program: Command): void {
  program.command('authority')
    .description('the mesh authority: the root key that every credential of the mesh goes back to')
    .command('init')
    .description('make a new mesh authority: its private key file (keep it offline) and its public key file (give it to relays)')
    .option('--out <file>', 'the authority (private key)', 'authority.json')
    .option('--public <file>', 'its public key', 'authority.pub.json')
    .option('--force', 'replace existing files')
    .action(async (o: { out: string, public: string, force?: boolean }) => {
      const authority = await createAuthority()
      await emit({ kind: 'slim-mesh/authority', authority }, o.out, o.force)
      await emit({ kind: 'slim-mesh/authority-public', authority: authority.authority }, o.public, o.force)
      console.log(`mesh ${authority.authority.mesh}`)
    })

  const credential = program.command('credential').description('issue, revoke and check credentials of the mesh')

  credential.command('issue')
    .description('sign a credential: for an agent (--agent NAME), a relay (--relay PEER_ID) or an issuer of a prefix (--issuer PREFIX)')
    .requiredOption('--signer <file>', 'the authority\'s file, or an issuer\'s credentials (agents within its prefix only)')
    .option('--agent <name>', 'an agent credential for org/namespace/service')
    .option('--relay <peerId>', 'a relay credential for this peer id (the authority only)')
    .option('--issuer <prefix>', 'delegate an issuer for a name prefix such as acme/** (the authority only)')
    .option('--border', 'relay role border (default member)')
    .addOption(collectOption('--publish-anycast <pattern>', 'may send anycast and requests to names matching (repeatable; * one component, ** the rest)'))
    .addOption(collectOption('--publish-multicast <pattern>', 'may multicast to names matching (repeatable)'))
    .addOption(collectOption('--publish-unicast <pattern>', 'may send unicast to agents of services matching (repeatable)'))
    .addOption(collectOption('--subscribe <pattern>', 'may subscribe to names matching (repeatable)'))
    .addOption(collectOption('--serve <pattern>', 'may serve names matching: be one of their anycast instances (repeatable)'))
    .addOption(collectOption('--channels <pattern>', 'may create channels under names matching (repeatable)'))
    .option('--all', 'every grant within the signer\'s prefix')
    .option('--admin', 'may inspect relays (the authority only)')
    .option('--expires <span>', 'lifetime, such as 12h, 30d, 1y (default 30d for agents, 365d for relays and issuers)')
    .option('--for-key <peerId>', 'bind an existing key (the agent\'s libp2p peer id) instead of making a fresh one')
    .option('--out <file>', 'write the credentials file here (default: print it)')
    .option('--force', 'replace an existing --out file')
    .action(async (o: IssueFlags) => {
      const kinds = [o.agent, o.relay, o.issuer].filter(v => v != null).length
      if (kinds !== 1) throw new UsageError('say what to issue: exactly one of --agent NAME, --relay PEER_ID, --issuer PREFIX')
      const { key, authority } = await signer(o.signer)
      if (o.relay != null) {
        if (key.delegation != null) throw new UsageError('only the mesh authority issues relay credentials; --signer must be its file')
        peerIdOr(o.relay)
        const c = await issueRelayCredential(key as never, { peerId: o.relay, role: o.border === true ? 'border' : 'member', lifetime: o.expires })
        await emit({ kind: 'slim-mesh/relay', authority, credential: c }, o.out, o.force)
        return
      }
      if (o.issuer != null) {
        if (key.delegation != null) throw new UsageError('only the mesh authority delegates issuers; --signer must be its file')
        const issuer = await delegateIssuer(key as never, { prefix: o.issuer, lifetime: o.expires })
        await emit({ kind: 'slim-mesh/issuer', authority, issuer }, o.out, o.force)
        return
      }
      const bound = o.forKey != null ? undefined : await generateKeyPair('Ed25519')
      const publicKey = bound != null ? bound.publicKey.raw : peerIdOr(o.forKey as string)
      const jwt = await issueAgentCredential(key, { name: o.agent as string, publicKey, grants: grantsOf(o, key.prefix), admin: o.admin, lifetime: o.expires })
      await emit({ kind: 'slim-mesh/agent', authority, credential: jwt, key: bound }, o.out, o.force)
      console.error(`credential ${String(decodeJwt(jwt).jti)} for ${o.agent as string}`)
    })

  credential.command('revoke')
    .description('sign a revocation of one credential (--id) or of every credential of a key issued before a time (--key); hand it to a relay with --relay')
    .requiredOption('--signer <file>', 'the authority\'s file, or the issuer\'s credentials (it revokes only what it issued)')
    .option('--id <credentialId>', 'the credential\'s id (its jti; `credential show` prints it)')
    .option('--key <keyId>', 'every credential of this key: an agent\'s key id (`credential show` prints it) or a relay\'s peer id')
    .option('--before <time>', 'with --key: credentials issued before this ISO time (default now)')
    .option('--relay <addr>', 'hand the revocation to this relay, which passes it to every relay of the mesh')
    .option('--credentials <file>', 'with --relay: the credentials to connect with (also SLIM_MESH_CREDENTIALS)')
    .option('--as <name>', 'with --relay and an issuer\'s credentials: the name to connect as (default slim-mesh/cli/revoke)')
    .option('--out <file>', 'also write the revocation (a JWT) to this file')
    .action(async (o: { signer: string, id?: string, key?: string, before?: string, relay?: string, credentials?: string, as?: string, out?: string }) => {
      if ((o.id == null) === (o.key == null)) throw new UsageError('say what to revoke: exactly one of --id CREDENTIAL_ID or --key KEY')
      const { key } = await signer(o.signer)
      let before: number | undefined
      if (o.before != null) {
        const t = Date.parse(o.before)
        if (Number.isNaN(t)) throw new UsageError(`--before must be an ISO time such as 2026-12-01T00:00:00Z, not "${o.before}"`)
        before = Math.floor(t / 1000)
      }
            const jwt = await issueRevocation(key, o.id != null ? { credential: o.id } : { key: o.key as string, before })
      if (o.out != null) { const { writeFile } = await import('node:fs/promises'); await writeFile(o.out, jwt + '\n') }
      if (o.relay == null) { console.log(jwt); return }
      const credentials = o.credentials ?? process.env.SLIM_MESH_CREDENTIALS
      const file = credentials != null ? await readCredentials(credentials) : undefined
      if (file != null && file.kind !== 'slim-mesh/agent' && file.kind !== 'slim-mesh/issuer') throw new UsageError(`${credentials as string} is a ${file.kind} file; --credentials takes an agent's or an issuer's credentials`)
      const agent = await connectAgent({ relay: o.relay, name: o.as ?? (file?.kind === 'slim-mesh/agent' ? undefined : 'slim-mesh/cli/revoke'), credentials: file })
      try {
        await agent.revoke(jwt)
        console.log(`revocation ${String(decodeJwt(jwt).jti)} taken by ${o.relay}`)
      } finally {
        await agent.close()
      }
    })

  credential.command('show')
    .description('decode a credentials file (or a JWT) and, with --authority, check it')
    .argument('<credential>', 'a credentials file, or a JWT')
    .addOption(new Option('--authority <file>', 'check it against this mesh authority (its public or private file)'))
    .option('--json', 'print the decoded header and claims as JSON')
    .action(async (input: string, o: { authority?: string, json?: boolean }) => {
      const jwt = input.split('.').length === 3 && !(await exists(input)) ? input : await jwtOf(input)
      let header, claims
      try { header = decodeProtectedHeader(jwt); claims = decodeJwt(jwt) } catch (err) { throw new UsageError(`not a credential: ${(err as Error).message}`) }
      if (o.json === true) console.log(JSON.stringify({ header, claims }, null, 2))
      else {
        console.log(`kind ${String(header.typ)}`)
        for (const k of ['sub', 'jti', 'iss', 'aud', 'role', 'admin', 'prefix', 'revokes', 'grants'] as const) if (claims[k] != null) console.log(`${k} ${JSON.stringify(claims[k])}`)
        if (claims.iat != null) console.log(`issued ${new Date(claims.iat * 1000).toISOString()}`)
        if (claims.exp != null) console.log(`expires ${new Date(claims.exp * 1000).toISOString()}`)
        const bound = (claims.cnf as { jwk?: JWK } | undefined)?.jwk
        if (bound != null) console.log(`key ${await thumbprint(bound)}`)
      }
      if (o.authority == null) return
      const a = await readCredentials(o.authority)
      if (a.kind !== 'slim-mesh/authority' && a.kind !== 'slim-mesh/authority-public') throw new UsageError(`${o.authority} is not the mesh authority's file`)
      const anchors = new TrustAnchors({ authority: a.kind === 'slim-mesh/authority' ? a.authority.authority : a.authority })
      try {
        if (header.typ === 'slim-relay+jwt') await anchors.verifyRelay(jwt, String(claims.sub))
        else if (header.typ === 'slim-revocation+jwt') await anchors.verifyRevocation(jwt)
        else {
          const x = (claims.cnf as { jwk?: { x?: string } } | undefined)?.jwk?.x
          await anchors.verifyAgent(jwt, { publicKey: new Uint8Array(Buffer.from(x ?? '', 'base64url')) })
        }
        console.log('valid: signed by a trusted chain of this mesh, not expired')
      } catch (err) {
        console.log(`NOT valid: ${(err as Error).message}`)
        process.exitCode = 1
      }
    })
}

async function jwtOf (path: string): Promise<string> {
  const f = await readCredentials(path)
  if (f.kind === 'slim-mesh/agent' || f.kind === 'slim-mesh/relay') return f.credential
  if (f.kind === 'slim-mesh/issuer') return f.issuer.delegation as string
  throw new UsageError(`${path} is a ${f.kind} file: it holds a key, not a credential`)
}

/** An Ed25519 public key from a peer id (`UsageError` if it is not one). */
function peerIdOr (id: string): Uint8Array {
  let key
  try { key = peerIdFromString(id).publicKey } catch (err) { throw new UsageError(`"${id}" is not a peer id: ${(err as Error).message}`) }
  if (key?.type !== 'Ed25519') throw new UsageError(`peer id ${id} does not carry an Ed25519 key`)
  return key.raw
}
