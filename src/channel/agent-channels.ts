/**
 * An agent's channels: MLS groups on the mesh (issue: Channels). Placeholder surface,
 * implemented by the channel layer.
 */
import type { Agent } from '../agent/agent.js'

export interface CreateChannelOptions { cipherSuite?: string }
export interface JoinChannelOptions { signal?: AbortSignal, cipherSuite?: string }

export interface Channel {
  readonly name: string
  readonly epoch: number
  readonly members: string[]
}

export class AgentChannels {
  private readonly agent: Agent
  constructor (agent: Agent) { this.agent = agent }
  async keyPackage (_options: { cipherSuite?: string }): Promise<Uint8Array> { throw new Error(`channels are not available yet for ${this.agent.name}`) }
  async createChannel (_name: string, _options: CreateChannelOptions): Promise<Channel> { throw new Error('channels are not available yet') }
  async joinChannel (_name: string, _options: JoinChannelOptions): Promise<Channel> { throw new Error('channels are not available yet') }
  async close (): Promise<void> {}
}
