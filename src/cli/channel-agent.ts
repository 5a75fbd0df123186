/**
 * The agent behind each `slim-mesh channel` command, and what the commands print.
 *
 * Each command is one process that opens the agent of its `--data-dir`, does one thing
 * and closes it. The data directory is the agent: its identity key (so its full name, the
 * instance its key gives, is the same on every run), the name it runs as
 * (`slim-mesh-agent.json`, written on the first run, so `--as` is needed only once), and
 * the MLS state of each of its channels with the stream position it reflects
 * (src/channel/records.ts). LevelDB holds the directory's lock: one process at a time.
 *
 * A channel command other than `create` and `listen` opens a channel only if its state is
 * saved here (`agent.savedChannels()`), so it never waits for a Welcome; what it reads of
 * other members' messages while it runs is printed on stderr (the saved position moves
 * past it, so a later `listen` does not print it again).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import type { Agent } from '../agent/agent.js'
import type { Channel, ChannelMessage } from '../channel/agent-channels.js'
import { JoinFailedError } from '../channel/errors.js'
import { parseServiceName } from '../names/names.js'
import { connect, relayAddress } from './agent.commands.js'
import { UsageError } from './errors.js'

export interface ChannelOptions {
  relay: string
  dataDir: string
  as?: string
  credentials?: string
  json?: boolean
}

/** The name an agent runs as when neither `--as`, its data directory nor its credential names one. */
export const DEFAULT_CHANNEL_AGENT = 'slim-mesh/cli/channel'
/** Where a data directory remembers the name its agent runs as. */
export const NAME_FILE = 'slim-mesh-agent.json'

/** `--data-dir` (required: it is the agent) and `--json`, for commands that need no relay. */
export function dataDirOption (cmd: Command): Command {
  return cmd
    .requiredOption('--data-dir <dir>', 'this agent\'s own directory: its identity key, its name and its channels (one process at a time; each agent its own)')
    .option('--json', 'print JSON (one object; one per line for listen)')
}

/** The options of every channel command that talks to the mesh. */
export function channelAgentOptions (cmd: Command): Command {
  return dataDirOption(cmd
    .requiredOption('--relay <addr>', 'the relay: host:port or a multiaddr (ending in /p2p/<peerId> to pin its identity)', relayAddress)
    .option('--as <name>', `this agent's org/namespace/service, remembered in --data-dir (default: the remembered one, else the name its agent credential grants, else ${DEFAULT_CHANNEL_AGENT}); the instance comes from its key`)
    .option('--credentials <file>', 'what the agent proves its name with: an agent credential, or an issuer\'s credentials (the relay prints its development ones); also SLIM_MESH_CREDENTIALS'))
}

/** The service part of an agent name (`acme/demo/alice/3fk2a` → `acme/demo/alice`). */
const serviceOf = (agentName: string): string => agentName.split('/').slice(0, 3).join('/')

async function rememberedName (dir: string): Promise<string | undefined> {
  try {
    const j = JSON.parse(await readFile(join(dir, NAME_FILE), 'utf8')) as { name?: unknown }
    return typeof j.name === 'string' ? j.name : undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UsageError(`${join(dir, NAME_FILE)} does not read as {"name": "org/namespace/service"}: ${(err as Error).message}`, { cause: err })
  }
}

/** Connects the agent of `--data-dir` under the name it remembers (or `--as`, which it then remembers). */
export async function openAgent (o: ChannelOptions): Promise<Agent> {
  const remembered = await rememberedName(o.dataDir)
  if (o.as != null && remembered != null && o.as !== remembered) {
    throw new UsageError(`${o.dataDir} is the data directory of ${remembered} (its key and channels are that agent's); leave out --as, or give ${o.as} a data directory of its own`)
  }
  let agent: Agent
  try {
    agent = await connect({ relay: o.relay, as: o.as ?? remembered, defaultName: DEFAULT_CHANNEL_AGENT, dataDir: o.dataDir, credentials: o.credentials })
  } catch (err) {
    if ((err as Error).name === 'DataDirInUseError') {
      // LevelDB's lock: the store's own message speaks of relays.
      throw Object.assign(err as Error, { message: `data directory ${o.dataDir} is in use by another process (a \`slim-mesh channel listen\` of this agent?); an agent's directory holds its key and channels and one process at a time may open it: stop that one (\`listen --chat\` sends from where it listens), or give each agent its own --data-dir` })
    }
    throw err
  }
  const base = serviceOf(agent.name)
  if (remembered !== base) await writeFile(join(o.dataDir, NAME_FILE), JSON.stringify({ name: base }) + '\n')
  return agent
}

/** Whether this agent's data directory holds `name`'s state (so `joinChannel` restores it at once). */
export async function isSaved (agent: Agent, name: string): Promise<boolean> {
  parseServiceName(name)
  return (await agent.savedChannels()).some(c => c.name === name)
}

/** The saved channel `name`; a `JoinFailedError` saying why when none is saved. */
export async function openSaved (agent: Agent, name: string, dataDir: string): Promise<Channel> {
  if (!await isSaved(agent, name)) {
    throw new JoinFailedError(`${agent.name} is not a member of ${name}: ${dataDir} holds no state of it (the channel was closed, this agent left or was removed, or it never joined); \`slim-mesh channel listen ${name}\` waits for an invitation`)
  }
  return await agent.joinChannel(name)
}

/**
 * Waits (up to `ms`) until a channel that ended is no longer saved: the channel forgets
 * its state as it ends, and the agent must not close its store before that is written,
 * or the next command would restore a channel this agent is no longer in.
 */
export async function forgotten (agent: Agent, name: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (await isSaved(agent, name) && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 20))
}

/**
 * Reads the channel's messages in the background while a one-shot command runs: others'
 * on stderr, and `until(seq)` for the command that waits for its own message to come back
 * in the stream (so the state it saves is past it).
 */
export class BackgroundReader {
  private seen = 0
  private readonly waiters: Array<{ seq: number, wake: () => void }> = []
  readonly done: Promise<void>

  constructor (ch: Channel, self: string) {
    this.done = (async () => {
      try {
        for await (const m of ch.messages()) {
          if (m.sender !== self) console.error(`read meanwhile: ${formatChannelMessage(ch.name, m)}`)
          this.seen = Math.max(this.seen, m.seq)
          for (const w of this.waiters.filter(w => w.seq <= this.seen)) w.wake()
        }
      } catch {} finally {
        for (const w of this.waiters.splice(0)) w.wake()
      }
    })()
  }

  /** Resolves once the message numbered `seq` was read (or the channel ended, or `ms` passed: it is archived either way). */
  async until (seq: number, ms = 10_000): Promise<void> {
    if (this.seen >= seq) return
    let timer: ReturnType<typeof setTimeout> | undefined
    await new Promise<void>(resolve => {
      this.waiters.push({ seq, wake: resolve })
      timer = setTimeout(resolve, ms)
    })
    clearTimeout(timer)
  }
}

/**
 * Runs `f` on the saved channel `name` of the agent of `o`, then closes the agent (the
 * channel's state is saved as it closes).
 */
export async function withChannel<T> (o: ChannelOptions, name: string, f: (ch: Channel, reader: BackgroundReader, agent: Agent) => Promise<T>): Promise<T> {
  const agent = await openAgent(o)
  try {
    const ch = await openSaved(agent, name, o.dataDir)
    return await f(ch, new BackgroundReader(ch, agent.name), agent)
  } finally {
    await agent.close()
  }
}

// ---- what the commands print ----

const dec = new TextDecoder()

/** `[acme/demo/room #7 from acme/demo/alice/3fk2a] hello` (as `sub` prints multicast). */
export function formatChannelMessage (channel: string, m: ChannelMessage): string {
  const text = dec.decode(m.data)
  return `[${channel} #${m.seq} from ${m.sender}] ${text.endsWith('\n') ? text.slice(0, -1) : text}`
}

/** A message as `listen --json` prints it. */
export function messageJson (channel: string, m: ChannelMessage): Record<string, unknown> {
  return { type: 'message', channel, seq: m.seq, epoch: m.epoch, sender: m.sender, text: dec.decode(m.data) }
}

/** owner, admin or member. */
export function roleOf (ch: Channel, member: string): 'owner' | 'admin' | 'member' {
  const r = ch.roles
  return r?.owner === member ? 'owner' : r?.admins.includes(member) === true ? 'admin' : 'member'
}

/** The channel as the one-shot commands print it with `--json`. */
export function channelJson (ch: Channel): Record<string, unknown> {
  return { channel: ch.name, epoch: ch.epoch, seq: ch.seq, suite: ch.suite, members: ch.members.map(m => ({ name: m, role: roleOf(ch, m) })) }
}

/** `epoch 1, 2 members`. */
export function epochLine (ch: Channel): string {
  return `epoch ${ch.epoch}, ${ch.members.length} member${ch.members.length === 1 ? '' : 's'}`
}

/** One JSON object on one line. */
export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n')
}
