/**
 * The controller's HTTP API (JSON; every route authenticated, see controller-auth.ts).
 *
 * Relays: `POST /v1/register`, `POST /v1/heartbeat`, `GET /v1/state`, `GET /v1/watch`
 * (server-sent `state` events: a new generation is out, pull it; `lease` events: a
 * sequencer lease the relay holds or held changed), `POST /v1/leases` (claim a name's
 * sequencer lease), `POST /v1/leases/caught-up` (the holder: a replica has caught up).
 * Operators (`slim-mesh ctl`): `GET /v1/nodes`, `DELETE /v1/nodes/:peer`, `GET /v1/links`,
 * `GET /v1/routes`, `GET /v1/channels`, `GET /v1/policy`, `PUT|DELETE /v1/policy/rules/:id`,
 * `PUT /v1/policy/topology`, `PUT /v1/policy/config`, `PUT /v1/policy/alert-actions`,
 * `GET|POST /v1/tokens`, `DELETE /v1/tokens/:id`, `GET|POST /v1/credentials`,
 * `POST /v1/credentials/revoke`, `GET /v1/alerts`, `GET /v1/mesh`, `GET /v1/charts`,
 * `POST /v1/dashboard`, `GET /v1/leases`, and the peerings (./peering-routes.ts).
 * The dashboard page is `GET /`, its static files `GET /assets/<file>` (a fixed list,
 * unauthenticated: they carry no mesh data; see dashboard-assets.ts).
 */
import { z } from 'zod'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { TYP, issueAgentCredential, issueRevocation } from '../trust/tokens.js'
import { parseGrants } from '../trust/grants.js'
import type { KeyValueStore } from '../store/store.js'
import type { ControllerCore } from './controller-core.js'
import type { ControllerAuth } from './controller-auth.js'
import { Router, eventStream } from './http-json.js'
import type { Heartbeat } from './roster.js'
import { namePolicySchema, topologySchema } from './desired-state.js'
import type { NamePolicy } from './desired-state.js'
import type { AlertAction } from './mesh-intent.js'
import { actorsView, channelsView, linksView, nodesView, routesView } from './mesh-views.js'
import { chartsView } from './charts-view.js'
import { dashboardAsset, sendAsset, sendPage } from './dashboard-assets.js'
import type { Alert } from './types.js'
import { ControllerError, ControlRequestError } from './errors.js'
import { peeringRoutes } from './peering-routes.js'

export interface AlertSource { active: () => Alert[], history: (limit?: number) => Alert[] }

export interface ApiDeps {
  core: ControllerCore
  auth: ControllerAuth
  store: KeyValueStore
  alerts: AlertSource
  dashboardPage: () => string
  /** The controller's base URL (for the dashboard link). */
  url: () => string
  /** Called with each heartbeat (the anomaly detectors read the summaries). */
  onHeartbeat?: (peerId: string, hb: Heartbeat) => void
}

const count = z.number().finite().nonnegative()
const modes = z.object({ anycast: count, multicast: count, unicast: count })
/** A relay's summary, checked: a relay that sends nonsense is refused, and disturbs nobody else's view. */
const summarySchema = z.object({
  at: z.number().finite(),
  startedAt: z.number().finite(),
  sessions: count,
  messagesIn: modes,
  messagesOut: modes,
  deliveries: count,
  acks: count,
  denials: z.record(z.string().max(200), count).refine(r => Object.keys(r).length <= 1000, 'at most 1000 rules'),
  authFailures: count,
  publishesByAgent: z.record(z.string().max(300), count).refine(r => Object.keys(r).length <= 1000, 'at most 1000 agents'),
  sequencers: z.array(z.object({ name: z.string().max(300), head: count, lag: z.number().finite(), sequencer: z.boolean() })).max(10_000),
  eventLoopDelayMs: count,
  queuedBytes: count,
  slowConsumersCut: count,
  quotaRefusals: z.record(z.string().max(100), count).refine(r => Object.keys(r).length <= 100, 'at most 100 quotas').optional(),
  links: z.array(z.object({ peer: z.string().max(100), up: z.boolean(), rttMs: count.optional(), flaps: count, loss: z.number().min(0).max(1).optional(), queuedBytes: count.optional() })).max(10_000)
})

const registerSchema = z.object({ token: z.string().max(200), role: z.enum(['member', 'border']).optional() })
const heartbeatSchema = z.object({
  generation: z.number().int().nonnegative(),
  hash: z.string().max(128),
  items: z.array(z.object({ id: z.string().max(300), status: z.enum(['applied', 'pending', 'failed']), reason: z.string().max(1000).optional() })).max(20_000),
  summary: summarySchema,
  addrs: z.array(z.string().max(300)).max(32),
  routes: z.array(z.string().max(300)).max(10_000),
  actors: z.array(z.object({ actor: z.string().max(300), state: z.string().max(200) })).max(10_000)
})
const leaseSchema = z.object({ name: z.string().min(1).max(300) })
const caughtUpSchema = z.object({ name: z.string().min(1).max(300), term: z.number().int().positive(), replica: z.string().min(1).max(200) })
const tokenSchema = z.object({ ttlSeconds: z.number().positive().optional(), note: z.string().max(200).optional() })
const credentialSchema = z.object({ name: z.string(), publicKey: z.string(), grants: z.unknown().optional(), lifetime: z.union([z.string(), z.number()]).optional(), admin: z.boolean().optional() })
const revokeSchema = z.union([z.object({ credential: z.string() }), z.object({ key: z.string(), before: z.number().optional() })])
const alertActionsSchema = z.array(z.object({ kind: z.string(), action: z.enum(['rate-limit', 'cut', 'drain']), perSecond: z.number().positive().optional(), forSeconds: z.number().positive().optional() }))

function parse<T> (schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new ControlRequestError(`${what}: ${r.error.issues.map(i => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`)
  return r.data
}

const CREDENTIAL_PREFIX = 'ctl/credential/'

export function controllerRoutes (d: ApiDeps): Router {
  const { core, auth } = d
  const r = new Router()
  const op = async (ctx: { req: Parameters<ControllerAuth['operator']>[0], url: URL }): Promise<void> => { await auth.operator(ctx.req, ctx.url.pathname) }
  const read = async (ctx: { req: Parameters<ControllerAuth['operator']>[0], url: URL }): Promise<void> => { await auth.reader(ctx.req, ctx.url.pathname) }

  r.on('GET', '/', async (ctx) => { sendPage(ctx.res, d.dashboardPage()) })
  r.on('GET', '/assets/:file', async (ctx) => {
    const asset = dashboardAsset(ctx.params.file as string)
    if (asset == null) throw new ControllerError(404, 'asset.unknown', `no dashboard asset ${ctx.params.file ?? ''}`)
    await sendAsset(ctx.res, asset)
  })

  // Relays
  r.on('POST', '/v1/register', async (ctx) => {
    const proof = await auth.proof(ctx.req, ctx.url.pathname)
    const body = parse(registerSchema, await ctx.body(), 'registration')
    const { credential, state } = await core.register(proof.peerId, body.token, body.role)
    return { authority: core.authority.authority, credential, state: state.jws, generation: state.state.generation }
  })
  r.on('POST', '/v1/heartbeat', async (ctx) => {
    const { peerId } = await auth.relay(ctx.req, ctx.url.pathname)
    const hb = parse(heartbeatSchema, await ctx.body(), 'heartbeat') as unknown as Heartbeat
    const out = await core.heartbeat(peerId, hb)
    d.onHeartbeat?.(peerId, hb)
    return out
  })
  r.on('POST', '/v1/leases', async (ctx) => {
    const { peerId } = await auth.relay(ctx.req, ctx.url.pathname)
    const body = parse(leaseSchema, await ctx.body(), 'lease claim')
    return await core.claimLease(body.name, peerId)
  })
  r.on('POST', '/v1/leases/caught-up', async (ctx) => {
    const { peerId } = await auth.relay(ctx.req, ctx.url.pathname)
    const body = parse(caughtUpSchema, await ctx.body(), 'lease catch-up')
    await core.leaseCaughtUp(body.name, body.term, peerId, body.replica)
    return {}
  })
  r.on('GET', '/v1/leases', async (ctx) => { await read(ctx); return core.leases.all() })
  r.on('GET', '/v1/state', async (ctx) => {
    // A relay (its credential is a relay credential), an operator or the dashboard.
    const header = ctx.req.headers.authorization ?? ''
    let typ: unknown
    try { typ = header.startsWith('SlimMesh ') ? decodeProtectedHeader(header.slice(9).trim()).typ : undefined } catch {}
    if (typ === TYP.relay) await auth.relay(ctx.req, ctx.url.pathname)
    else await auth.reader(ctx.req, ctx.url.pathname)
    const s = core.state
    return { jws: s.jws, generation: s.state.generation, hash: s.hash, state: s.state }
  })
  r.on('GET', '/v1/watch', async (ctx) => {
    const { peerId } = await auth.relay(ctx.req, ctx.url.pathname)
    const send = eventStream(ctx.res)
    send('state', { generation: core.state.state.generation, hash: core.state.hash })
    const stop = core.watch((generation, hash) => { send('state', { generation, hash }) })
    const stopLeases = core.watchLeases(peerId, lease => { send('lease', lease) })
    for (const lease of core.leases.heldBy(peerId)) send('lease', lease)
    const ping = setInterval(() => { ctx.res.write(': ping\n\n') }, 15_000)
    ping.unref()
    await new Promise<void>(resolve => { ctx.res.on('close', () => { resolve() }) })
    clearInterval(ping)
    stop()
    stopLeases()
  })

  // Operators: the mesh
  r.on('GET', '/v1/nodes', async (ctx) => { await read(ctx); return nodesView(core) })
  r.on('DELETE', '/v1/nodes/:peer', async (ctx) => {
    await op(ctx)
    const peer = ctx.params.peer as string
    if (core.roster.get(peer) == null) throw new ControllerError(404, 'relay.unknown', `no relay ${peer} on the roster`)
    // Its credential is revoked too, so the relays of the mesh cut it at once.
    const revocation = await issueRevocation(core.authority, { key: peer, before: Math.floor(Date.now() / 1000) + 1 })
    await core.change(i => { i.revocations.push(revocation) })
    return await core.removeRelay(peer)
  })
  r.on('GET', '/v1/links', async (ctx) => { await read(ctx); return linksView(core) })
  r.on('GET', '/v1/routes', async (ctx) => { await read(ctx); return routesView(core) })
  r.on('GET', '/v1/channels', async (ctx) => { await read(ctx); return channelsView(core) })
  r.on('GET', '/v1/alerts', async (ctx) => { await read(ctx); return ctx.url.searchParams.has('all') ? d.alerts.history(1000) : d.alerts.active() })
  r.on('GET', '/v1/mesh', async (ctx) => {
    await read(ctx)
    return { mesh: core.mesh, generation: core.state.state.generation, hash: core.state.hash, topology: core.intent.topology, nodes: nodesView(core), links: linksView(core), channels: channelsView(core), alerts: d.alerts.history(200), actors: actorsView(core) }
  })
  r.on('GET', '/v1/charts', async (ctx) => { await read(ctx); return chartsView() })
  r.on('POST', '/v1/dashboard', async (ctx) => {
    await op(ctx)
    const s = auth.dashboardSession()
    return { ...s, url: `${d.url()}/#session=${s.token}` }
  })

  // Operators: policy
  const policyView = (): unknown => ({ generation: core.state.state.generation, topology: core.intent.topology, policies: core.intent.policies, relayConfig: core.intent.relayConfig, drains: core.intent.drains, alertActions: core.intent.alertActions, issuers: core.intent.issuers.map(i => ({ prefix: i.prefix, issuer: i.issuer })) })
  r.on('GET', '/v1/policy', async (ctx) => { await read(ctx); return policyView() })
  r.on('PUT', '/v1/policy/rules/:id', async (ctx) => {
    await op(ctx)
    const rule = parse(namePolicySchema, { ...(await ctx.body() as object), id: ctx.params.id }, 'policy') as NamePolicy
    await core.change(i => { i.policies = [...i.policies.filter(p => p.id !== rule.id), rule] })
    return policyView()
  })
  r.on('DELETE', '/v1/policy/rules/:id', async (ctx) => {
    await op(ctx)
    if (!core.intent.policies.some(p => p.id === ctx.params.id)) throw new ControllerError(404, 'policy.unknown', `no policy ${ctx.params.id ?? ''}`)
    await core.change(i => { i.policies = i.policies.filter(p => p.id !== ctx.params.id) })
    return policyView()
  })
  r.on('PUT', '/v1/policy/topology', async (ctx) => {
    await op(ctx)
    const spec = parse(topologySchema, await ctx.body(), 'topology')
    core.checkTopology(spec)
    await core.change(i => { i.topology = spec })
    return policyView()
  })
  r.on('PUT', '/v1/policy/config', async (ctx) => {
    await op(ctx)
    const cfg = parse(z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])), await ctx.body(), 'relay config')
    await core.change(i => { i.relayConfig = cfg })
    return policyView()
  })
  r.on('PUT', '/v1/nodes/:peer/drain', async (ctx) => {
    await op(ctx)
    const peer = ctx.params.peer as string
    if (core.roster.get(peer) == null) throw new ControllerError(404, 'relay.unknown', `no relay ${peer} on the roster`)
    const body = parse(z.object({ forSeconds: z.number().positive().max(30 * 86400).optional(), reason: z.string().max(500).optional() }), await ctx.body(), 'drain')
    await core.change(i => { i.drains = [...i.drains.filter(d => d.peerId !== peer), { peerId: peer, reason: body.reason ?? 'drained by an operator', until: Date.now() + (body.forSeconds ?? 3600) * 1000 }] })
    return policyView()
  })
  r.on('DELETE', '/v1/nodes/:peer/drain', async (ctx) => {
    await op(ctx)
    await core.change(i => { i.drains = i.drains.filter(d => d.peerId !== ctx.params.peer) })
    return policyView()
  })
  r.on('PUT', '/v1/policy/alert-actions', async (ctx) => {
    await op(ctx)
    const actions = parse(alertActionsSchema, await ctx.body(), 'alert actions') as AlertAction[]
    await core.change(i => { i.alertActions = actions })
    return policyView()
  })

  // Operators: join tokens
  r.on('GET', '/v1/tokens', async (ctx) => { await op(ctx); return await core.tokens.list() })
  r.on('POST', '/v1/tokens', async (ctx) => { await op(ctx); return await core.tokens.create(parse(tokenSchema, await ctx.body(), 'join token')) })
  r.on('DELETE', '/v1/tokens/:id', async (ctx) => { await op(ctx); return await core.tokens.revoke(ctx.params.id as string) })

  // Operators: credentials
  r.on('GET', '/v1/credentials', async (ctx) => {
    await op(ctx)
    return (await d.store.list(CREDENTIAL_PREFIX)).map(([, v]) => JSON.parse(new TextDecoder().decode(v)) as unknown)
  })
  r.on('POST', '/v1/credentials', async (ctx) => {
    const caller = await auth.operator(ctx.req, ctx.url.pathname)
    const body = parse(credentialSchema, await ctx.body(), 'credential')
    const publicKey = new Uint8Array(Buffer.from(body.publicKey, 'base64'))
    const credential = await issueAgentCredential(core.authority, { name: body.name, publicKey, grants: parseGrants(body.grants ?? {}), admin: body.admin, lifetime: body.lifetime })
    const claims = decodeJwt(credential)
    const record = { id: claims.jti, name: claims.sub, issuedAt: claims.iat, expiresAt: claims.exp, admin: body.admin === true, by: caller.name }
    await d.store.put(CREDENTIAL_PREFIX + String(claims.jti), new TextEncoder().encode(JSON.stringify(record)))
    return { credential, authority: core.authority.authority, record }
  })
  r.on('POST', '/v1/credentials/revoke', async (ctx) => {
    await op(ctx)
    const target = parse(revokeSchema, await ctx.body(), 'revocation')
    const revocation = await issueRevocation(core.authority, target)
    await core.change(i => { i.revocations.push(revocation) })
    return { revocation, generation: core.state.state.generation }
  })

  // Operators: peerings with other meshes (./peering-routes.ts)
  peeringRoutes(r, core, auth)
  return r
}
