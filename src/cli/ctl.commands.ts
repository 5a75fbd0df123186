/**
 * `slim-mesh ctl`: the operator's commands on a controller's API (src/control). Each
 * signs its request with the admin credential (`--credentials`, default the
 * controller's `admin.creds` as SLIM_MESH_CTL_CREDENTIALS names it) and prints a table,
 * or the API's JSON with `--json`.
 *
 *   slim-mesh ctl tokens create                       # a join token for one relay
 *   slim-mesh ctl nodes | links | routes | channels | alerts
 *   slim-mesh ctl policy set no-secrets --names 'acme/secret/**' --deny subscribe
 *   slim-mesh ctl policy topology line
 *   slim-mesh ctl credentials issue --name acme/demo/alice --all --out alice.creds
 *   slim-mesh ctl dashboard                           # a link to the dashboard
 */
import { Option } from 'commander'
import type { Command } from 'commander'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { writeCredentials } from '../trust/credentials-file.js'
import { allGrants } from '../trust/grants.js'
import type { Grants } from '../trust/grants.js'
import type { AuthorityPublic } from '../trust/keys.js'
import { POLICY_ACTIONS } from '../control/desired-state.js'
import { DEFAULT_CONTROLLER_LISTEN } from '../control/controller.js'
import { action, ago, short, sub, when } from './ctl-common.js'
import { registerPeeringCommands } from './peering.commands.js'
import { collectOption } from './options.js'
import { UsageError } from './errors.js'
import { printTable } from './table.js'

export function registerCtlCommands (program: Command): void {
  const ctl = program.command('ctl')
    .description('operate a mesh through its controller (slim-mesh controller)')
    .option('--controller <url>', `the controller's URL (also SLIM_MESH_CONTROLLER; default http://${DEFAULT_CONTROLLER_LISTEN})`)
    .option('--credentials <file>', 'an admin credential: the controller\'s admin.creds (also SLIM_MESH_CTL_CREDENTIALS)')

  sub(ctl, 'nodes', 'the relays of the mesh: state, generation, sessions, what is not applied')
    .action(action(async c => await c.request<Array<Record<string, unknown>>>('GET', '/v1/nodes'), rows => {
      printTable(['relay', 'state', 'up', 'generation', 'sessions', 'seen', 'not applied'], rows.map(n => [n.peerId, n.state, n.up === true ? 'yes' : 'no', `${String(n.generation)}/${String(n.desired)}`, n.sessions ?? '-', ago(n.lastSeen as number | undefined), (n.notApplied as unknown[]).length]))
    }))
  sub(ctl, 'remove-node', 'take a relay off the roster and revoke its credential').argument('<peerId>')
    .action(action(async (c, [peer]) => await c.request('DELETE', `/v1/nodes/${encodeURIComponent(peer as string)}`), () => { console.log('removed') }))
  sub(ctl, 'drain', 'a relay takes no new sessions (those it has stay), for a while').argument('<peerId>')
    .option('--for <seconds>', 'how long (default 3600)', Number)
    .option('--reason <text>', 'what agents are told')
    .action(action(async (c, [peer], o) => await c.request('PUT', `/v1/nodes/${encodeURIComponent(peer as string)}/drain`, { ...(o.for != null ? { forSeconds: o.for } : {}), ...(o.reason != null ? { reason: o.reason } : {}) }), p => { console.log(`drained; generation ${String((p as { generation: number }).generation)}`) }))
  sub(ctl, 'undrain', 'a drained relay takes sessions again').argument('<peerId>')
    .action(action(async (c, [peer]) => await c.request('DELETE', `/v1/nodes/${encodeURIComponent(peer as string)}/drain`), p => { console.log(`undrained; generation ${String((p as { generation: number }).generation)}`) }))
  sub(ctl, 'links', 'links planned and up, with their round-trip times')
    .action(action(async c => await c.request<Array<Record<string, unknown>>>('GET', '/v1/links'), rows => {
      printTable(['a', 'b', 'planned', 'up', 'rtt'], rows.map(l => [short(l.a as string), short(l.b as string), l.planned === true ? 'yes' : 'no', l.up === true ? 'yes' : 'no', l.rttMs == null ? '-' : `${(l.rttMs as number).toFixed(2)} ms`]))
    }))
  sub(ctl, 'routes', 'the names served at each relay')
    .action(action(async c => await c.request<Array<{ relay: string, names: string[] }>>('GET', '/v1/routes'), rows => {
      printTable(['relay', 'names'], rows.map(r => [r.relay, r.names.join(' ') || '-']))
    }))
  sub(ctl, 'channels', 'multicast names with their sequencer, head and followers\' lag')
    .action(action(async c => await c.request<Array<{ name: string, sequencer?: string, head: number, followers: Array<{ relay: string, lag: number }> }>>('GET', '/v1/channels'), rows => {
      printTable(['name', 'sequencer', 'head', 'followers (lag)'], rows.map(r => [r.name, r.sequencer != null ? short(r.sequencer) : '-', r.head, r.followers.map(f => `${short(f.relay)} (${f.lag})`).join(' ') || '-']))
    }))
  sub(ctl, 'alerts', 'alerts: active ones, or with --all the ended ones too')
    .option('--all', 'ended alerts too')
    .action(action(async (c, _a, o) => await c.request<Array<Record<string, unknown>>>('GET', `/v1/alerts${o.all === true ? '?all=1' : ''}`), rows => {
      printTable(['kind', 'subject', 'since', 'ended', 'reason', 'action'], rows.map(a => [a.kind, a.subject, when(a.startedAt as number), when(a.endedAt as number | undefined), a.reason, a.action ?? '-']))
    }))

  const policy = ctl.command('policy').description('the mesh\'s per-name policies, topology and relay settings')
  sub(policy, 'show', 'the policies, topology, relay settings and alert actions in force')
    .action(action(async c => await c.request<Record<string, unknown>>('GET', '/v1/policy'), p => {
      console.log(`generation ${String(p.generation)}, topology ${JSON.stringify(p.topology)}`)
      printTable(['policy', 'names', 'agents', 'deny', 'rate limit', 'reason'], (p.policies as Array<Record<string, unknown>>).map(r => [r.id, r.names, r.agents ?? '**', (r.deny as string[] | undefined)?.join(',') ?? '-', (r.rateLimit as { perSecond: number } | undefined)?.perSecond ?? '-', r.reason ?? '-']))
      console.log(`relay settings ${JSON.stringify(p.relayConfig)}; alert actions ${JSON.stringify(p.alertActions)}`)
    }))
  sub(policy, 'set', 'add or replace a per-name policy; every relay enforces it from its next generation').argument('<id>')
    .requiredOption('--names <pattern>', 'the names it covers (acme/secret/**)')
    .option('--agents <pattern>', 'the agents it covers (default every agent)')
    .addOption(collectOption('--deny <action>', `refuse ${POLICY_ACTIONS.join(', ')} (repeatable, or comma-separated)`))
    .option('--rate-limit <perSecond>', 'publishes per second per agent', Number)
    .option('--retention-seconds <n>', 'each covered name\'s archive keeps messages this long', Number)
    .option('--retention-bytes <n>', '... and at most this many bytes', Number)
    .option('--retention-messages <n>', '... and at most this many messages', Number)
    .option('--replication <n>', 'relays that keep the archive of each covered name, its sequencer included (for names claimed from now on)', Number)
    .option('--reason <text>', 'why (agents see it in their refusal)')
    .action(action(async (c, [id], o) => {
      const deny = (o.deny as string[]).flatMap(d => d.split(',')).filter(d => d !== '')
      return await c.request('PUT', `/v1/policy/rules/${encodeURIComponent(id as string)}`, {
        names: o.names,
        ...(o.agents != null ? { agents: o.agents } : {}),
        ...(deny.length > 0 ? { deny } : {}),
        ...(o.rateLimit != null ? { rateLimit: { perSecond: o.rateLimit } } : {}),
        ...(retentionOf(o) != null ? { retention: retentionOf(o) } : {}),
        ...(o.replication != null ? { replication: o.replication as number } : {}),
        ...(o.reason != null ? { reason: o.reason } : {})
      })
    }, (p) => { console.log(`policy set; generation ${String((p as { generation: number }).generation)}`) }))
  sub(policy, 'remove', 'remove a per-name policy').argument('<id>')
    .action(action(async (c, [id]) => await c.request('DELETE', `/v1/policy/rules/${encodeURIComponent(id as string)}`), p => { console.log(`policy removed; generation ${String((p as { generation: number }).generation)}`) }))
  sub(policy, 'topology', 'how relays link: full, star [--hub], line, pairs (--pair a:b ...), computed [--degree]').argument('<kind>')
    .option('--hub <peerId>', 'the hub of a star')
    .addOption(collectOption('--pair <a:b>', 'a link of a pairs topology (repeatable)'))
    .option('--degree <n>', 'the most links a computed plan gives a relay', Number)
    .action(action(async (c, [kind], o) => {
      const body = kind === 'star' ? { kind, ...(o.hub != null ? { hub: o.hub } : {}) }
        : kind === 'pairs' ? { kind, pairs: (o.pair as string[]).map(p => p.split(':')) }
          : kind === 'computed' ? { kind, ...(o.degree != null ? { degree: o.degree } : {}) }
            : { kind }
      return await c.request('PUT', '/v1/policy/topology', body)
    }, p => { console.log(`topology set; generation ${String((p as { generation: number }).generation)}`) }))
  sub(policy, 'config', 'relay settings for every relay, as key=value (announceIntervalMs=2000)').argument('<settings...>')
    .action(action(async (c, _a, _o) => {
      const pairs = (_a as unknown as string[])
      const body: Record<string, number | boolean | string> = {}
      for (const kv of pairs) {
        const [k, v] = kv.split('=')
        if (k == null || v == null) throw new UsageError(`write settings as key=value, not "${kv}"`)
        body[k] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v
      }
      return await c.request('PUT', '/v1/policy/config', body)
    }, p => { console.log(`relay settings set; generation ${String((p as { generation: number }).generation)}`) }))

  const tokens = ctl.command('tokens').description('one-time join tokens for relays')
  sub(tokens, 'create', 'a token one relay joins with (slim-mesh node --controller URL --join-token TOKEN)')
    .option('--ttl <seconds>', 'how long it may wait to be used (default 3600)', Number)
    .option('--note <text>', 'what it is for')
    .action(action(async (c, _a, o) => await c.request<{ token: string, record: { id: string, expiresAt: number } }>('POST', '/v1/tokens', { ...(o.ttl != null ? { ttlSeconds: o.ttl } : {}), ...(o.note != null ? { note: o.note } : {}) }), out => {
      console.log(out.token)
      console.error(`join token ${out.record.id}, valid until ${when(out.record.expiresAt)}, for one relay`)
    }))
  sub(tokens, 'list', 'the join tokens, used or not')
    .action(action(async c => await c.request<Array<Record<string, unknown>>>('GET', '/v1/tokens'), rows => {
      printTable(['token', 'created', 'expires', 'used by', 'note'], rows.map(t => [t.id, when(t.createdAt as number), when(t.expiresAt as number), t.revoked === true ? 'revoked' : t.usedBy ?? '-', t.note ?? '-']))
    }))
  sub(tokens, 'revoke', 'a join token that must not be used').argument('<id>')
    .action(action(async (c, [id]) => await c.request('DELETE', `/v1/tokens/${encodeURIComponent(id as string)}`), () => { console.log('revoked') }))

  const credentials = ctl.command('credentials').description('agents\' credentials, signed by the mesh authority the controller holds')
  sub(credentials, 'list', 'the credentials issued through the controller')
    .action(action(async c => await c.request<Array<Record<string, unknown>>>('GET', '/v1/credentials'), rows => {
      printTable(['id', 'name', 'expires', 'admin', 'by'], rows.map(r => [r.id, r.name, when((r.expiresAt as number) * 1000), r.admin === true ? 'yes' : 'no', r.by]))
    }))
  sub(credentials, 'issue', 'an agent credential (with a fresh key) for --name, written to --out')
    .requiredOption('--name <service>', 'org/namespace/service')
    .requiredOption('--out <file>', 'the credentials file to write')
    .option('--all', 'every grant under the name\'s organisation')
    .addOption(collectOption('--subscribe <pattern>', 'may subscribe to (repeatable)'))
    .addOption(collectOption('--serve <pattern>', 'may serve (repeatable)'))
    .addOption(collectOption('--publish <pattern>', 'may publish in every mode to (repeatable)'))
    .addOption(new Option('--expires <span>', 'lifetime such as 12h, 30d').default('30d'))
    .action(action(async (c, _a, o) => {
      const key = await generateKeyPair('Ed25519')
      const org = (o.name as string).split('/')[0] as string
      const pub = o.publish as string[]
      const grants: Grants = o.all === true ? allGrants(`${org}/**`) : { subscribe: o.subscribe as string[], serve: o.serve as string[], publish: { anycast: pub, multicast: pub, unicast: pub } }
      const out = await c.request<{ credential: string, authority: AuthorityPublic, record: unknown }>('POST', '/v1/credentials', { name: o.name, publicKey: Buffer.from(key.publicKey.raw).toString('base64'), grants, lifetime: o.expires })
      await writeCredentials(o.out as string, { kind: 'slim-mesh/agent', authority: out.authority, credential: out.credential, key })
      return out.record
    }, r => { console.log(`issued ${String((r as { id: string }).id)}`) }))
  sub(credentials, 'revoke', 'revoke a credential (--id) or every credential of a key (--key): every relay cuts it')
    .option('--id <credentialId>', 'one credential')
    .option('--key <keyId>', 'every credential of a key (its thumbprint, or a relay\'s peer id)')
    .action(action(async (c, _a, o) => {
      if ((o.id == null) === (o.key == null)) throw new UsageError('say what to revoke: --id CREDENTIAL_ID or --key KEY_ID')
      return await c.request('POST', '/v1/credentials/revoke', o.id != null ? { credential: o.id } : { key: o.key })
    }, r => { console.log(`revoked; generation ${String((r as { generation: number }).generation)}`) }))

  registerPeeringCommands(ctl)

  sub(ctl, 'dashboard', 'a link to the controller\'s dashboard (a read-only session for 12 h)')
    .action(action(async c => await c.request<{ url: string }>('POST', '/v1/dashboard'), r => { console.log(r.url) }))
}

/** `policy set`'s retention flags as a policy's `retention` (undefined: none given). */
function retentionOf (o: Record<string, unknown>): { seconds?: number, bytes?: number, messages?: number } | undefined {
  const r = {
    ...(o.retentionSeconds != null ? { seconds: o.retentionSeconds as number } : {}),
    ...(o.retentionBytes != null ? { bytes: o.retentionBytes as number } : {}),
    ...(o.retentionMessages != null ? { messages: o.retentionMessages as number } : {})
  }
  return Object.keys(r).length > 0 ? r : undefined
}
