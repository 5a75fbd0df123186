/**
 * What an agent may send, asked when it sends it at its home relay: the gate's grants and
 * hooks for the name and mode (src/relay/relay-gate.ts), and for a commit at epoch 0 (it
 * creates the channel) the grant to create it. A reply to a request the agent was
 * delivered is allowed without a grant (NATS's allow-responses), to the agent that asked
 * only: `asked` is what the relay remembers of the requests delivered to it.
 */
import { idKey } from './dedup-window.js'
import type { RelayGate } from './relay-gate.js'
import type { Envelope } from '../wire/envelope.pb.js'
import type { DeliveryModeName } from './policy.js'

/** Undefined if `agent` may send `env`; else the reason to refuse it with (PERMISSION_DENIED). */
export function publishRefusal (gate: RelayGate, agent: string, env: Envelope, mode: DeliveryModeName, createsChannel: boolean, asked?: Map<string, string>): string | undefined {
  if (env.correlationId.byteLength > 0 && asked?.get(idKey(env.correlationId)) === env.destination) return undefined
  const allowed = gate.publish(agent, env.destination, mode, env.type)
  if (allowed !== true) return `${agent} may not publish to ${env.destination} (${allowed.rule ?? 'allowPublish'}): ${allowed.deny}`
  if (createsChannel) {
    const create = gate.createChannel(agent, env.destination)
    if (create !== true) return `${agent} may not create the channel ${env.destination} (${create.rule ?? 'grant.channels'}): ${create.deny}`
  }
  return undefined
}
