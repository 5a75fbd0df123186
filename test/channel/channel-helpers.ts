/** Helpers for channel tests: readers that collect a channel's messages and status in the background. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Channel, ChannelMessage, ChannelStatus } from '../../src/channel/agent-channels.js'
import { agentNameForKey } from '../../src/names/identity.js'
import type { LocalMember } from '../../src/channel/group.js'

/** A member identity without an agent (for tests of the MLS layer alone). */
export async function localMember (service: string): Promise<LocalMember> {
  const identity = await generateKeyPair('Ed25519')
  return { name: agentNameForKey(service, identity.publicKey), identity }
}

export interface Collected { messages: ChannelMessage[], texts: () => string[], error?: Error }

export function read (ch: Channel): Collected {
  const out: Collected = { messages: [], texts: () => out.messages.map(m => new TextDecoder().decode(m.data)) }
  void (async () => {
    try { for await (const m of ch.messages()) out.messages.push(m) } catch (err) { out.error = err as Error }
  })()
  return out
}

export function statuses (ch: Channel): ChannelStatus[] {
  const out: ChannelStatus[] = []
  ch.onStatus(s => { out.push(s) })
  return out
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Adds `joiner` to `ch` by its key package and returns the joiner's side once its Welcome arrived. */
export async function addAndJoin (ch: Channel, joiner: { joinChannel: (name: string, o: { timeoutMs: number }) => Promise<Channel>, keyPackage: () => Promise<Uint8Array> }, name: string): Promise<Channel> {
  const joining = joiner.joinChannel(name, { timeoutMs: 20_000 })
  await ch.addMember(await joiner.keyPackage())
  return await joining
}
