/**
 * What a relay keeps of each agent attached to it (or briefly away): its subscriptions,
 * its inbox, what is held for it while it is away, and the requests it was delivered
 * (for allow-responses: a reply to one of them needs no publish grant).
 */
import type { Envelope } from '../wire/envelope.pb.js'
import type { AgentName } from '../names/names.js'
import type { AgentPort } from './types.js'
import type { LocalSub } from './multicast-plane.js'
import { idKey } from './dedup-window.js'

export interface AgentRecord {
  name: AgentName
  service: string
  instance: string
  port?: AgentPort
  subs: Map<string, LocalSub>
  /** The agent opened its inbox: unicast to its own name is for it to read. */
  inbox: boolean
  /** Anycast and unicast held while the agent is briefly away. */
  away: Envelope[]
  /**
   * Requests delivered to it that expect a reply, by message id, with who asked: its
   * reply to one of them is allowed without a publish grant (NATS's allow-responses).
   */
  asked: Map<string, string>
}

/** Requests remembered per agent for allow-responses (the oldest is forgotten past this). */
const MAX_ASKED = 4096

/** Remembers a request delivered to the agent, with who asked (the oldest is forgotten past MAX_ASKED). */
export function rememberRequest (rec: AgentRecord, env: Envelope): void {
  if (!env.expectsReply || env.source === '') return
  if (rec.asked.size >= MAX_ASKED) rec.asked.delete(rec.asked.keys().next().value as string)
  rec.asked.set(idKey(env.messageId), env.source)
}
