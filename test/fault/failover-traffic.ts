/**
 * What the sequencer failover tests share: subscribers and publishers of one busy name
 * recorded in a history (./history.ts), traffic until stopped, and the final check.
 */
import { expect } from 'vitest'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import { waitFor, str, text } from '../helpers.js'
import { HistoryRecorder, checkHistory, summarize } from './history.js'

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export interface Busy {
  name: string
  credentials: AgentCredentials
  history: HistoryRecorder
  agents: Map<string, Agent>
  cleanup: Array<{ close?: () => unknown }>
}

export function busyName (name: string, credentials: AgentCredentials, cleanup: Array<{ close?: () => unknown }>): Busy {
  return { name, credentials, history: new HistoryRecorder(), agents: new Map(), cleanup }
}

/** An agent of `client`'s name on the first of `relays` (the others: where it goes when that one dies). */
export async function agentOn (b: Busy, client: string, relays: string[]): Promise<Agent> {
  const a = await connectAgent({ relay: relays[0]!, relays: relays.slice(1), name: `acme/failover/${client}`, credentials: b.credentials, keepaliveMs: 250 })
  b.cleanup.push(a)
  b.agents.set(client, a)
  return a
}

/** A subscriber from seq 1 whose deliveries go into the history. */
export async function subscriber (b: Busy, client: string, relays: string[]): Promise<void> {
  const a = await agentOn(b, client, relays)
  const sub = await a.subscribe(b.name, { fromSeq: 1 })
  b.history.subscribe(b.name, client, 1)
  void (async () => { try { for await (const msg of sub) b.history.deliver(b.name, client, str(msg.data), msg.seq ?? -1) } catch {} })()
}

/** One publish of `client`, recorded. */
export async function publishOnce (b: Busy, client: string, payload: string): Promise<boolean> {
  const a = b.agents.get(client) as Agent
  return (await b.history.publish(b.name, client, payload, async () => await a.publish(b.name, text(payload), { mode: 'multicast' }))).status === 'ok'
}

/** Every publisher publishes, one message at a time, until `stop`. */
export function traffic (b: Busy, publishers: string[]): { stop: () => Promise<void> } {
  let stopped = false
  const loops = publishers.map(async (client) => {
    for (let i = 1; !stopped; i++) {
      await publishOnce(b, client, `${client}#${i}`)
      await sleep(10)
    }
  })
  return { stop: async () => { stopped = true; await Promise.all(loops) } }
}

/** How long after `since` the first publish invoked after it was acknowledged (waits for one). */
export async function firstAckAfter (b: Busy, since: number, timeoutMs: number): Promise<number> {
  await waitFor(() => b.history.publishes.some(p => p.status === 'ok' && p.invokedAt >= since), 'a publish acknowledged after the kill', timeoutMs)
  const first = b.history.publishes.filter(p => p.status === 'ok' && p.invokedAt >= since).sort((x, y) => (x.completedAt ?? 0) - (y.completedAt ?? 0))[0]!
  return (first.completedAt ?? 0) - since
}

/** Every acknowledged message at every subscriber, none twice, none out of order. */
export async function settleAndCheck (b: Busy, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(() => checkHistory(b.history).lost.length === 0, 'every acknowledged message at every subscriber', timeoutMs)
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${summarize(b.history)}`)
  }
  const a = checkHistory(b.history)
  expect(a, summarize(b.history, a)).toEqual({ lost: [], duplicated: [], reordered: [], unexpected: [] })
}
