/**
 * What the operator asked for, as the controller keeps it (in its store): the topology,
 * per-name policies, external issuers, revocations, relay settings and what to do about
 * each kind of alert. The desired state is computed from it and the roster.
 */
import type { KeyValueStore } from '../store/store.js'
import type { ExternalIssuer } from '../trust/verifier.js'
import type { Drain, NamePolicy } from './desired-state.js'
import type { TopologySpec } from './types.js'

const KEY = 'ctl/intent'

/**
 * What an alert of `kind` brings about, for its subject: for an agent, `rate-limit` its
 * publishes to `perSecond`, or `cut` it (refuse everything it does); for a relay, `drain`
 * it (it takes no new sessions; those it has stay). For `forSeconds`.
 */
export interface AlertAction {
  kind: string
  action: 'rate-limit' | 'cut' | 'drain'
  perSecond?: number
  forSeconds?: number
}

export interface MeshIntent {
  topology: TopologySpec
  policies: NamePolicy[]
  drains: Drain[]
  issuers: ExternalIssuer[]
  revocations: string[]
  relayConfig: Record<string, number | boolean | string>
  alertActions: AlertAction[]
}

export const DEFAULT_INTENT: MeshIntent = {
  topology: { kind: 'computed' },
  policies: [],
  drains: [],
  issuers: [],
  revocations: [],
  relayConfig: {},
  alertActions: [{ kind: 'publish-rate', action: 'rate-limit', perSecond: 50, forSeconds: 300 }]
}

export async function loadIntent (store: KeyValueStore, initial: Partial<MeshIntent> = {}): Promise<MeshIntent> {
  const v = await store.get(KEY)
  if (v == null) return { ...DEFAULT_INTENT, ...initial }
  return { ...DEFAULT_INTENT, ...(JSON.parse(new TextDecoder().decode(v)) as Partial<MeshIntent>) }
}

export async function saveIntent (store: KeyValueStore, intent: MeshIntent): Promise<void> {
  await store.put(KEY, new TextEncoder().encode(JSON.stringify(intent)))
}
