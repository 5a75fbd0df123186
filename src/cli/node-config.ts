/**
 * `slim-mesh node`'s settings: a config file (YAML or JSON), `SLIM_MESH_*` environment
 * variables and command-line flags, in that order of strength (a flag beats the
 * environment, which beats the file, which beats the defaults). Every value is checked
 * before the relay starts, and a wrong one is named in one line with where it came from:
 *
 *   relay.yaml: relay.writeDeadlineMs must be a positive integer (milliseconds) (got "abc")
 *   SLIM_MESH_LOG_LEVEL must be one of trace, debug, info, warn, error, silent (got "loud")
 *
 * ```yaml
 * listen: [127.0.0.1:7450, /ip4/127.0.0.1/tcp/7451/ws]
 * transports: [tcp, websockets]
 * bootstrap: [/ip4/10.0.0.2/tcp/7450/p2p/12D3KooW...]
 * announce: [/dns4/relay.example.org/tcp/7450]   # what others are told to dial (default: listen)
 * dataDir: /var/lib/slim-mesh
 * log: { level: info, format: json }
 * relay: { writeDeadlineMs: 10000 }
 * timings: { gracePeriodMs: 60000 }
 * inbound: { maxPendingPerHost: 32 }               # connections one IP may hold mid-handshake
 * metrics: 127.0.0.1:9464                          # /metrics, /healthz, /readyz over HTTP
 * retention: { maxAgeMs: 86400000, maxBytes: 1073741824 }  # per name archive (0: no limit)
 * quotas: { subscriptions: 16384, bytesInFlight: 67108864 }  # per agent (0: no limit)
 * controller: { url: http://127.0.0.1:7460, joinToken: ... }  # run by a controller (instead of trust, bootstrap)
 * controller: { urls: [http://10.0.0.1:7460, http://10.0.0.2:7460] }  # several of one mesh (etcd): whichever leads
 * trust:
 *   authority: /etc/slim-mesh/authority.pub.json   # the mesh authority (public key file)
 *   credentials: /etc/slim-mesh/relay.creds        # this relay's credential
 *   external: [{ prefix: partner/**, jwks: /etc/slim-mesh/partner.jwks.json }]
 * ```
 *
 * With no `trust.authority` the relay makes a development authority in its data
 * directory; `open: true` admits agents without credentials (loopback experiments).
 *
 * zod checks the shape (unknown keys are errors: a misspelt setting must not be
 * silently ignored), `yaml` reads YAML 1.2 (which includes JSON).
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { z } from 'zod'
import { parse as parseYaml } from 'yaml'
import { toMultiaddr } from '../names/address.js'
import { LOG_FORMATS, LOG_LEVELS } from '../logger.js'
import type { LogFormat, LogLevel } from '../logger.js'
import { DEFAULT_RELAY_CONFIG } from '../relay/types.js'
import type { RelayConfig } from '../relay/types.js'
import { DEFAULT_RELAY_QUOTAS } from '../relay/agent-quotas.js'
import type { RelayQuotas } from '../relay/agent-quotas.js'
import type { RelaySessionTimings } from '../actors/relay-session.actor.js'
import type { PeerLinkTimings } from '../actors/peer-link.actor.js'
import { DEFAULT_INBOUND_LIMITS, DEFAULT_TRANSPORTS, TRANSPORTS } from '../p2p/libp2p-node.js'
import type { InboundLimits, TransportName } from '../p2p/libp2p-node.js'
import { parseListen } from '../control/monitor-server.js'

export type NodeTimings = RelaySessionTimings & PeerLinkTimings

/** Everything `slim-mesh node` runs with, once the sources are merged. */
export interface NodeSettings {
  listen: string[]
  /** What listens on (and dials) `listen`'s addresses: TCP, WebSockets (`/ws`), or both. */
  transports: TransportName[]
  bootstrap: string[]
  /** The addresses other relays and agents are told to dial (none: the listen addresses). */
  announce: string[]
  dataDir: string
  inMemory: boolean
  inspect: boolean
  log: { level: LogLevel, format: LogFormat }
  trust: TrustSettings
  /** Admit agents without credentials (said loudly in the log). */
  open: boolean
  /** Only the fields that were set; the relay fills in the rest. */
  relay: Partial<RelayConfig>
  timings: Partial<NodeTimings>
  /** Inbound connections not yet upgraded (only the fields that were set). */
  inbound: Partial<InboundLimits>
  /** Where to serve Prometheus metrics and health checks over HTTP (`host:port`); none: not served. */
  metrics?: string
  /** Run by a controller: its URL (several: comma-separated, or `urls`) and (for the first start) a join token. */
  controller: { url?: string, urls?: string[], joinToken?: string }
  /** What each name's archive keeps (0: no limit); a controller's per-name policy overrides it. */
  retention: Partial<RetentionSettings>
  /** Quotas per agent (only the fields that were set; src/relay/agent-quotas.ts). */
  quotas: Partial<RelayQuotas>
}

/** A relay's archive retention per name (0: no limit), and how often age limits are swept. */
export interface RetentionSettings { maxAgeMs: number, maxBytes: number, maxMessages: number, sweepMs: number }

/** What one source (file, environment or flags) sets. */
export interface PartialNodeSettings {
  listen?: string[]
  transports?: TransportName[]
  bootstrap?: string[]
  announce?: string[]
  dataDir?: string
  inMemory?: boolean
  inspect?: boolean
  log?: { level?: LogLevel, format?: LogFormat }
  trust?: Partial<TrustSettings>
  open?: boolean
  relay?: Partial<RelayConfig>
  timings?: Partial<NodeTimings>
  inbound?: Partial<InboundLimits>
  metrics?: string
  controller?: { url?: string, urls?: string[], joinToken?: string }
  retention?: Partial<RetentionSettings>
  quotas?: Partial<RelayQuotas>
}

/** Whom the relay trusts, as files (read when the relay starts). */
export interface TrustSettings {
  /** The mesh authority's file (public, or with its private key: then the relay signs its own credential). */
  authority?: string
  /** This relay's credential file (`slim-mesh credential issue --relay`). */
  credentials?: string
  /** Issuers outside the mesh, each trusted for a prefix: a JWKS file, and the tokens' `iss`. */
  external: Array<{ prefix: string, jwks: string, issuer?: string }>
}

export const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/7450'
export const DEFAULT_DATA_DIR = './.slim-mesh'

export const DEFAULT_NODE_SETTINGS: NodeSettings = {
  listen: [DEFAULT_LISTEN],
  transports: [...DEFAULT_TRANSPORTS],
  bootstrap: [],
  announce: [],
  dataDir: DEFAULT_DATA_DIR,
  inMemory: false,
  inspect: false,
  log: { level: 'info', format: 'text' },
  trust: { external: [] },
  open: false,
  relay: {},
  timings: {},
  inbound: {},
  controller: {},
  retention: {},
  quotas: {}
}

/** A config file or environment variable that cannot be used, said in one line. */
export class ConfigError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

// ---- the schema ----

/** setTimeout's limit: a longer delay silently fires after 1 ms. */
const MAX_MS = 2_147_483_647
const positive = (unit: string): z.ZodInt => z.int({ error: `must be a positive integer (${unit})` })
  .min(1, { error: `must be a positive integer (${unit})` })
  .max(MAX_MS, { error: `must be at most ${MAX_MS}` })
const nonNegative = (unit: string): z.ZodInt => z.int({ error: `must be a whole number, 0 or more (${unit})` })
  .min(0, { error: `must be a whole number, 0 or more (${unit})` })
  .max(MAX_MS, { error: `must be at most ${MAX_MS}` })
const ms = positive('milliseconds')

/** Each RelayConfig field, with its rule (0 is allowed where it means "at once" or "none"). */
const relayFields = {
  announceIntervalMs: ms,
  routeTtlMs: ms,
  announceHopLimit: positive('links'),
  awayBufferLimit: nonNegative('messages'),
  requestTimeoutMs: ms,
  gapWaitMs: nonNegative('milliseconds'),
  tailCheckMs: nonNegative('milliseconds'),
  claimSettleMs: nonNegative('milliseconds'),
  writeDeadlineMs: ms,
  resendAfterMs: ms,
  sequencerWaitMs: ms
} satisfies Record<keyof RelayConfig, z.ZodType>

const timingFields = {
  handshakeTimeoutMs: ms,
  silenceTimeoutMs: ms,
  gracePeriodMs: ms,
  keepaliveMs: ms,
  probeIntervalMs: ms
} satisfies Record<keyof NodeTimings, z.ZodType>

/** Sizes and counts up to 2^53 (0: no limit). */
const count = (unit: string): z.ZodInt => z.int({ error: `must be a whole number, 0 or more (${unit}; 0: no limit)` })
  .min(0, { error: `must be a whole number, 0 or more (${unit}; 0: no limit)` })
const retentionFields = {
  maxAgeMs: nonNegative('milliseconds'),
  maxBytes: count('bytes'),
  maxMessages: count('messages'),
  sweepMs: ms
} satisfies Record<keyof RetentionSettings, z.ZodType>
const quotaFields = {
  subscriptions: count('subscriptions'),
  names: count('names'),
  namesWindowMs: ms,
  bytesInFlight: count('bytes')
} satisfies Record<keyof RelayQuotas, z.ZodType>
const inboundFields = {
  maxPendingPerHost: positive('connections'),
  maxPending: positive('connections'),
  upgradeTimeoutMs: ms
} satisfies Record<keyof InboundLimits, z.ZodType>

const addresses = (what: string, needsPeerId: boolean): z.ZodType<string[]> => z
  .union([z.string(), z.array(z.string({ error: `must be a list of addresses (strings)` }))], { error: 'must be an address or a list of addresses' })
  .transform(v => typeof v === 'string' ? [v] : v)
  .superRefine((list, ctx) => {
    for (const a of list) {
      try {
        const ma = toMultiaddr(a, what)
        if (needsPeerId && !ma.includes('/p2p/')) ctx.addIssue({ code: 'custom', message: `${what} "${a}" has no /p2p/<peerId>, so the relay there cannot be linked to; write its full address as it prints it, e.g. /ip4/127.0.0.1/tcp/7450/p2p/12D3KooW...`, params: { whole: true } })
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message, params: { whole: true } })
      }
    }
  })

const TRANSPORTS_RULE = `must be ${TRANSPORTS.join(' or ')}, or a list of them`
const transports: z.ZodType<TransportName[]> = z
  .union([z.string(), z.array(z.string())], { error: TRANSPORTS_RULE })
  .transform(v => typeof v === 'string' ? [v] : v)
  .refine(list => list.length > 0 && list.every(t => (TRANSPORTS as readonly string[]).includes(t)), { error: TRANSPORTS_RULE })
  .transform(list => [...new Set(list)] as TransportName[])

const boolean = z.boolean({ error: 'must be true or false' })

const monitorAddress = z.string({ error: 'must be host:port' }).superRefine((a, ctx) => {
  try { parseListen(a) } catch (err) { ctx.addIssue({ code: 'custom', message: (err as Error).message, params: { whole: true } }) }
})

const schema = z.strictObject({
  listen: addresses('listen address', false),
  transports,
  bootstrap: addresses('bootstrap address', true),
  announce: addresses('announce address', false),
  dataDir: z.string({ error: 'must be a directory path' }).min(1, { error: 'must be a directory path' }),
  inMemory: boolean,
  inspect: boolean,
  log: z.strictObject({
    level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    format: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` })
  }, { error: 'must be a mapping with level and format' }).partial(),
  trust: z.strictObject({
    authority: z.string({ error: 'must be a file path' }).min(1, { error: 'must be a file path' }),
    credentials: z.string({ error: 'must be a file path' }).min(1, { error: 'must be a file path' }),
    external: z.array(z.strictObject({ prefix: z.string(), jwks: z.string().min(1), issuer: z.string().optional() }), { error: 'must be a list of { prefix, jwks, issuer }' })
  }, { error: 'must be a mapping with authority, credentials and external' }).partial(),
  open: boolean,
  relay: z.strictObject(relayFields, { error: 'must be a mapping of relay settings' }).partial(),
  timings: z.strictObject(timingFields, { error: 'must be a mapping of timings' }).partial(),
  inbound: z.strictObject(inboundFields, { error: 'must be a mapping of inbound connection limits' }).partial(),
  metrics: monitorAddress,
  controller: z.strictObject({
    // One URL, or several of one mesh comma-separated (SLIM_MESH_CONTROLLER=http://a:7460,http://b:7460).
    url: z.string().refine(v => v.split(',').every(u => z.url().safeParse(u.trim()).success), { error: 'must be the controller\'s URL, http://host:port (several: comma-separated)' }),
    urls: z.array(z.url({ error: 'must be a controller\'s URL, http://host:port' }), { error: 'must be a list of controller URLs' }).min(1, { error: 'must name at least one controller' }),
    joinToken: z.string().min(1, { error: 'must be a join token (slim-mesh ctl tokens create)' })
  }, { error: 'must be a mapping with url, urls and joinToken' }).partial(),
  retention: z.strictObject(retentionFields, { error: 'must be a mapping with maxAgeMs, maxBytes, maxMessages and sweepMs' }).partial(),
  quotas: z.strictObject(quotaFields, { error: 'must be a mapping with subscriptions, names, namesWindowMs and bytesInFlight' }).partial()
}, { error: 'must be a mapping of settings' }).partial()

// ---- the environment ----

const snake = (key: string): string => key.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()

/**
 * The environment variables read, each with where it goes. Relay settings and timings
 * are named after their key (`writeDeadlineMs` -> `SLIM_MESH_WRITE_DEADLINE_MS`).
 */
export const ENV_VARS: ReadonlyArray<{ name: string, path: string[], kind: 'list' | 'string' | 'boolean' | 'number' }> = [
  { name: 'SLIM_MESH_LISTEN', path: ['listen'], kind: 'list' },
  { name: 'SLIM_MESH_TRANSPORTS', path: ['transports'], kind: 'list' },
  { name: 'SLIM_MESH_BOOTSTRAP', path: ['bootstrap'], kind: 'list' },
  { name: 'SLIM_MESH_ANNOUNCE', path: ['announce'], kind: 'list' },
  { name: 'SLIM_MESH_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { name: 'SLIM_MESH_IN_MEMORY', path: ['inMemory'], kind: 'boolean' },
  { name: 'SLIM_MESH_INSPECT', path: ['inspect'], kind: 'boolean' },
  { name: 'SLIM_MESH_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { name: 'SLIM_MESH_LOG_FORMAT', path: ['log', 'format'], kind: 'string' },
  { name: 'SLIM_MESH_AUTHORITY', path: ['trust', 'authority'], kind: 'string' },
  { name: 'SLIM_MESH_RELAY_CREDENTIALS', path: ['trust', 'credentials'], kind: 'string' },
  { name: 'SLIM_MESH_OPEN', path: ['open'], kind: 'boolean' },
  { name: 'SLIM_MESH_METRICS', path: ['metrics'], kind: 'string' },
  { name: 'SLIM_MESH_CONTROLLER', path: ['controller', 'url'], kind: 'string' },
  { name: 'SLIM_MESH_JOIN_TOKEN', path: ['controller', 'joinToken'], kind: 'string' },
  ...Object.keys(relayFields).map(k => ({ name: `SLIM_MESH_${snake(k)}`, path: ['relay', k], kind: 'number' as const })),
  ...Object.keys(timingFields).map(k => ({ name: `SLIM_MESH_${snake(k)}`, path: ['timings', k], kind: 'number' as const })),
  ...Object.keys(inboundFields).map(k => ({ name: `SLIM_MESH_${snake(k)}`, path: ['inbound', k], kind: 'number' as const })),
  ...Object.keys(retentionFields).map(k => ({ name: `SLIM_MESH_RETENTION_${snake(k)}`, path: ['retention', k], kind: 'number' as const })),
  ...Object.keys(quotaFields).map(k => ({ name: `SLIM_MESH_QUOTA_${snake(k)}`, path: ['quotas', k], kind: 'number' as const }))
]

/** The config file named by the environment (the `--config` flag beats it). */
export const CONFIG_ENV = 'SLIM_MESH_CONFIG'

function envValue (raw: string, kind: 'list' | 'string' | 'boolean' | 'number'): unknown {
  const v = raw.trim()
  switch (kind) {
    case 'list': return v.split(',').map(s => s.trim()).filter(s => s !== '')
    case 'boolean': {
      const l = v.toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(l)) return true
      if (['0', 'false', 'no', 'off'].includes(l)) return false
      return raw
    }
    // A string that is not a number is left as it is, for the schema to refuse with its value.
    case 'number': return /^[+-]?\d+(\.\d+)?$/.test(v) ? Number(v) : raw
    default: return v
  }
}

// ---- reading and checking ----

interface Source {
  /** Before the problems: `relay.yaml: ` for a file, nothing for a variable. */
  prefix: string
  /** What a wrong value is called: `relay.writeDeadlineMs` in a file, `SLIM_MESH_WRITE_DEADLINE_MS`. */
  subject: (path: PropertyKey[]) => string
  /** A problem that names its own value (a bad address) in this source: `SLIM_MESH_LISTEN: ...`. */
  whole: (message: string) => string
}

function valueAt (input: unknown, path: PropertyKey[]): unknown {
  let v = input
  for (const k of path) v = v != null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined
  return v
}

function check (input: unknown, source: Source): PartialNodeSettings {
  const r = schema.safeParse(input ?? {})
  if (r.success) return r.data as PartialNodeSettings
  const problems = r.error.issues.map(issue => {
    if (issue.code === 'unrecognized_keys') {
      const section = valueAt(schema.shape, issue.path.length > 0 ? [issue.path[0] as string] : [])
      const known = issue.path.length === 0 ? Object.keys(schema.shape) : Object.keys(((section as { unwrap?: () => { shape: object } })?.unwrap?.() ?? { shape: {} }).shape)
      return issue.keys.map(k => `unknown setting "${[...issue.path, k].join('.')}"${suggest(k, known)}; known ${issue.path.length === 0 ? 'settings' : `in ${issue.path.join('.')}`}: ${known.join(', ')}`).join('; ')
    }
    if ((issue as { params?: { whole?: boolean } }).params?.whole === true) return source.whole(issue.message)
    return `${source.subject(issue.path)} ${issue.message} (got ${JSON.stringify(valueAt(input, issue.path)) ?? 'nothing'})`
  })
  throw new ConfigError(source.prefix + problems.join('; '))
}

function suggest (key: string, known: string[]): string {
  const close = known.find(k => distance(k.toLowerCase(), key.toLowerCase()) <= Math.max(1, Math.floor(key.length / 4)))
  return close == null ? '' : ` (did you mean "${close}"?)`
}

function distance (a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const here = d[j] as number
      d[j] = Math.min(here + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = here
    }
  }
  return d[b.length] as number
}

/** A config file's text, YAML or JSON (by its extension; YAML, which reads JSON too, otherwise). */
export function parseConfigText (text: string, file: string): PartialNodeSettings {
  const label = basename(file)
  let data: unknown
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const first = ((err as Error).message.split('\n')[0] ?? '').replace(/:$/, '')
    throw new ConfigError(`${label}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${first}`, { cause: err })
  }
  return check(data, { prefix: `${label}: `, subject: path => path.length === 0 ? 'the file' : path.join('.'), whole: m => m })
}

/** Reads and checks a config file. */
export async function readConfigFile (file: string): Promise<PartialNodeSettings> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as { code?: string }).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
    throw new ConfigError(`config file ${file}: ${why}`, { cause: err })
  }
  return parseConfigText(text, file)
}

/** The settings the `SLIM_MESH_*` variables give (each checked, and named by its variable when wrong). */
export function settingsFromEnv (env: NodeJS.ProcessEnv): PartialNodeSettings {
  const out: PartialNodeSettings = {}
  for (const v of ENV_VARS) {
    const raw = env[v.name]
    if (raw == null || raw.trim() === '') continue
    const value = envValue(raw, v.kind)
    const input: Record<string, unknown> = {}
    let at = input
    for (const k of v.path.slice(0, -1)) { at[k] = {}; at = at[k] as Record<string, unknown> }
    at[v.path[v.path.length - 1] as string] = value
    merge(out, check(input, { prefix: '', subject: () => v.name, whole: m => `${v.name}: ${m}` }))
  }
  return out
}

/** `b` over `a`, section by section (a list replaces a list). */
function merge (a: PartialNodeSettings, b: PartialNodeSettings): PartialNodeSettings {
  for (const [k, v] of Object.entries(b) as Array<[keyof PartialNodeSettings, unknown]>) {
    if (v === undefined) continue
    if (k === 'log' || k === 'relay' || k === 'timings' || k === 'inbound' || k === 'trust' || k === 'controller' || k === 'retention' || k === 'quotas') (a as Record<string, unknown>)[k] = { ...(a[k] as object | undefined), ...(v as object) }
    else (a as Record<string, unknown>)[k] = v
  }
  return a
}

/** Defaults, then the file, then the environment, then the flags. */
export function mergeSettings (...layers: PartialNodeSettings[]): NodeSettings {
  const out = merge({}, DEFAULT_NODE_SETTINGS)
  for (const l of layers) merge(out, l)
  return out as NodeSettings
}

export interface LoadOptions {
  /** What the command line set explicitly (unset options left out). */
  flags?: PartialNodeSettings
  /** `--config`; else `SLIM_MESH_CONFIG`; else no file. */
  configFile?: string
  env?: NodeJS.ProcessEnv
}

/** The settings `slim-mesh node` runs with. */
export async function loadNodeSettings (options: LoadOptions = {}): Promise<NodeSettings> {
  const env = options.env ?? process.env
  const file = options.configFile ?? (env[CONFIG_ENV]?.trim() === '' ? undefined : env[CONFIG_ENV])
  const fromFile = file == null ? {} : await readConfigFile(file)
  return mergeSettings(fromFile, settingsFromEnv(env), options.flags ?? {})
}

/** Every setting with its effective value (defaults included), for `--print-config`. */
export function effectiveSettings (s: NodeSettings, timingDefaults: NodeTimings, retentionDefaults: RetentionSettings): NodeSettings & { relay: RelayConfig, timings: NodeTimings, inbound: InboundLimits, retention: RetentionSettings, quotas: RelayQuotas } {
  return { ...s, relay: { ...DEFAULT_RELAY_CONFIG, ...s.relay }, timings: { ...timingDefaults, ...s.timings }, inbound: { ...DEFAULT_INBOUND_LIMITS, ...s.inbound }, retention: { ...retentionDefaults, ...s.retention }, quotas: { ...DEFAULT_RELAY_QUOTAS, ...s.quotas } }
}
