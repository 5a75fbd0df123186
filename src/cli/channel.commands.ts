/**
 * `slim-mesh channel create | invite | members | send | listen | remove | leave | close |
 * list` (and `request | approve | decline`, ./channel-requests.commands.ts): MLS channels
 * from the command line, one agent per `--data-dir` (./channel-agent.ts), so two shells
 * hold an encrypted conversation:
 *
 *   alice$ slim-mesh channel create acme/demo/room --relay HOST:PORT --data-dir alice --as acme/demo/alice
 *   bob$   slim-mesh channel listen acme/demo/room --relay HOST:PORT --data-dir bob --as acme/demo/bob
 *          # waiting to be invited to acme/demo/room as acme/demo/bob/<instance>
 *   alice$ slim-mesh channel invite acme/demo/room acme/demo/bob/<instance> --relay HOST:PORT --data-dir alice
 *   alice$ slim-mesh channel send acme/demo/room hello --relay HOST:PORT --data-dir alice
 *          # bob's listen prints: [acme/demo/room #2 from acme/demo/alice/<instance>] hello
 *
 * One-shot commands print one line (one object with `--json`); `listen` one line per
 * message (one object per line with `--json`, membership changes too). A failure is one
 * line on stderr and exit code 1; a channel that ended (closed, this agent removed, or
 * left) exit code 3 (./errors.ts).
 */
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import type { Channel } from '../channel/agent-channels.js'
import { ChannelClosedError } from '../channel/errors.js'
import { savedChannelsIn } from '../channel/saved-channels.js'
import { wholeNumber } from './agent.commands.js'
import { UsageError } from './errors.js'
import { printTable } from './table.js'
import {
  channelAgentOptions, channelJson, dataDirOption, epochLine, forgotten, formatChannelMessage, isSaved, messageJson, openAgent, printJson, roleOf, withChannel
} from './channel-agent.js'
import type { ChannelOptions } from './channel-agent.js'
import { registerChannelRequestCommands } from './channel-requests.commands.js'

const enc = new TextEncoder()

/** The text of `send`: the argument, or stdin for `-` (or no argument). */
async function readText (text: string | undefined): Promise<Uint8Array> {
  if (text != null && text !== '-') return enc.encode(text)
  if (process.stdin.isTTY === true) console.error('reading the message from stdin (end it with Ctrl-D)')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk)
  const data = new Uint8Array(Buffer.concat(chunks))
  if (data.byteLength === 0) throw new UsageError('send needs the message: TEXT, or - to read it from stdin (which was empty)')
  return data
}

const timeoutOption = (what: string): [string, string, (v: string) => number] =>
  ['--timeout <ms>', `how long to wait for ${what}, in milliseconds`, wholeNumber('--timeout', ' (milliseconds)')]

export function registerChannelCommands (program: Command): void {
  const channel = program.command('channel')
    .description('MLS channels: create, invite, send, listen, remove, close (each agent its own --data-dir)')

  channelAgentOptions(channel.command('create'))
    .description('create a channel (one MLS group); this agent is its owner')
    .argument('<name>', 'the channel: org/namespace/service')
    .action(async (name: string, o: ChannelOptions) => {
      const agent = await openAgent(o)
      try {
        const ch = await agent.createChannel(name)
        if (o.json === true) printJson(channelJson(ch))
        else console.log(`created ${ch.name} as ${agent.name} (owner); ${epochLine(ch)}`)
      } finally {
        await agent.close()
      }
    })

  channelAgentOptions(channel.command('invite'))
    .description('ask an agent for a key package and add it (it answers while it runs `channel listen NAME`)')
    .argument('<name>', 'the channel')
    .argument('<agent>', 'the invited agent\'s full name, org/namespace/service/instance (its `listen` prints it)')
    .option(...timeoutOption('the invited agent\'s answer'), 30_000)
    .action(async (name: string, invitee: string, o: ChannelOptions & { timeout: number }) => {
      await withChannel(o, name, async ch => {
        await ch.invite(invitee, { timeoutMs: o.timeout })
        if (o.json === true) printJson({ ...channelJson(ch), invited: invitee })
        else console.log(`invited ${invitee} to ${ch.name}; ${epochLine(ch)}`)
      })
    })

  channelAgentOptions(channel.command('members'))
    .description('the members of a channel with their roles (owner, admin, member), and its epoch')
    .argument('<name>', 'the channel')
    .action(async (name: string, o: ChannelOptions) => {
      await withChannel(o, name, async (ch, _r, agent) => {
        if (o.json === true) { printJson({ ...channelJson(ch), owner: ch.roles?.owner ?? null, admins: ch.roles?.admins ?? [] }); return }
        console.log(`${ch.name}: ${epochLine(ch)}`)
        printTable(['member', 'role'], ch.members.map(m => [m, `${roleOf(ch, m)}${m === agent.name ? ' (you)' : ''}`]))
      })
    })

  channelAgentOptions(channel.command('send'))
    .description('send one encrypted message: TEXT, or - to read it from stdin')
    .argument('<name>', 'the channel')
    .argument('[text]', 'the message; - (or none) reads it from stdin')
    .action(async (name: string, text: string | undefined, o: ChannelOptions) => {
      const data = await readText(text) // before connecting: a missing message costs no session
      await withChannel(o, name, async (ch, reader) => {
        const { seq } = await ch.send(data)
        // Its own message read back in the stream, so the state saved as it closes is past it.
        await reader.until(seq)
        if (o.json === true) printJson({ channel: ch.name, seq, epoch: ch.epoch })
        else console.log(`sent, seq ${seq}`)
      })
    })

  channelAgentOptions(channel.command('listen'))
    .description('print each message: [NAME #SEQ from SENDER] TEXT; a channel this agent is not in yet: wait for an invitation first')
    .argument('<name>', 'the channel')
    .option('--count <n>', 'exit after this many messages', wholeNumber('--count'))
    .option(...timeoutOption('an invitation (default: until interrupted)'))
    .option('--chat', 'also send each line typed on stdin')
    .action(async (name: string, o: ChannelOptions & { count?: number, timeout?: number, chat?: boolean }) => {
      await listen(name, o)
    })

  channelAgentOptions(channel.command('remove'))
    .description('remove a member (owner or admin): it can read nothing sent after')
    .argument('<name>', 'the channel')
    .argument('<agent>', 'the member\'s full name')
    .action(async (name: string, member: string, o: ChannelOptions) => {
      await withChannel(o, name, async ch => {
        await ch.removeMember(member)
        if (o.json === true) printJson({ ...channelJson(ch), removed: member })
        else console.log(`removed ${member} from ${ch.name}; ${epochLine(ch)}`)
      })
    })

  channelAgentOptions(channel.command('leave'))
    .description('leave a channel: the owner or an admin removes this agent')
    .argument('<name>', 'the channel')
    .option(...timeoutOption('the owner or an admin to remove this agent'), 30_000)
    .action(async (name: string, o: ChannelOptions & { timeout: number }) => {
      await withChannel(o, name, async (ch, _r, agent) => {
        await ch.leave({ timeoutMs: o.timeout })
        await forgotten(agent, ch.name)
        if (o.json === true) printJson({ channel: ch.name, left: true })
        else console.log(`left ${ch.name}`)
      })
    })

  channelAgentOptions(channel.command('close'))
    .description('close a channel for every member (owner or admin)')
    .argument('<name>', 'the channel')
    .action(async (name: string, o: ChannelOptions) => {
      await withChannel(o, name, async (ch, _r, agent) => {
        await ch.close()
        await forgotten(agent, ch.name)
        if (o.json === true) printJson({ channel: ch.name, closed: true })
        else console.log(`closed ${ch.name}`)
      })
    })

  dataDirOption(channel.command('list'))
    .description('the channels saved in a data directory, without connecting (not while an agent runs on it)')
    .action(async (o: { dataDir: string, json?: boolean }) => {
      const saved = await savedChannelsIn(o.dataDir)
      if (o.json === true) printJson({ channels: saved })
      else printTable(['channel', 'seq', 'epoch', 'suite'], saved.map(c => [c.name, c.seq, c.wireEpoch, c.suite]))
    })

  registerChannelRequestCommands(channel)
}

/** `listen`: restore the channel (or wait for an invitation), print until the count, an interrupt, or the channel's end. */
async function listen (name: string, o: ChannelOptions & { count?: number, timeout?: number, chat?: boolean }): Promise<void> {
  const agent = await openAgent(o)
  const stopping = new AbortController()
  const stop = (): void => { stopping.abort() }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const restored = await isSaved(agent, name)
    if (!restored) console.error(`waiting to be invited to ${name} as ${agent.name}`)
    let ch: Channel
    try {
      ch = await agent.joinChannel(name, restored ? {} : { signal: stopping.signal, timeoutMs: o.timeout })
    } catch (err) {
      if (stopping.signal.aborted) return // interrupted while waiting: nothing to say
      throw err
    }
    console.error(`${restored ? 'listening to' : 'joined'} ${name} as ${agent.name}; ${epochLine(ch)}`)
    if (o.json === true) printJson({ type: 'channel.active', channel: name, epoch: ch.epoch, members: ch.members, restored })

    let ended: 'closed' | 'removed' | 'left' | undefined
    const off = ch.onStatus(s => {
      if (s.type === 'channel.member.added' || s.type === 'channel.member.removed') {
        if (o.json === true) printJson({ type: s.type, channel: name, member: s.member, epoch: s.epoch })
        else console.error(s.type === 'channel.member.added' ? `${s.member} joined ${name} (epoch ${s.epoch})` : `${s.member} is no longer a member of ${name} (epoch ${s.epoch})`)
      } else if (s.type === 'channel.closed' || s.type === 'channel.removed' || s.type === 'channel.left') {
        ended = s.type === 'channel.closed' ? 'closed' : s.type === 'channel.removed' ? 'removed' : 'left'
      }
    })
    // Interrupted: closing the agent ends the messages (the state stays saved).
    stopping.signal.addEventListener('abort', () => { void agent.close() }, { once: true })

    let sending: Promise<void> = Promise.resolve()
    const input = o.chat === true ? createInterface({ input: process.stdin }) : undefined
    input?.on('line', line => {
      if (line.trim() === '') return
      sending = sending.then(async () => { await ch.send(enc.encode(line)) }).catch((err: unknown) => { console.error(`slim-mesh: not sent: ${(err as Error).message}`) })
    })

    let n = 0
    try {
      for await (const m of ch.messages()) {
        if (o.json === true) printJson(messageJson(name, m))
        else console.log(formatChannelMessage(name, m))
        if (o.count != null && ++n >= o.count) break
      }
    } finally {
      input?.close()
      // What is still typed is not sent; stdin must not keep the process alive.
      if (input != null) process.stdin.destroy()
      off()
      await sending
    }
    // Ended before its status could be heard (a removal replayed at once): the machine's state says it.
    ended ??= ['closed', 'removed', 'left'].includes(ch.state) ? ch.state as 'closed' | 'removed' | 'left' : undefined
    if (ended != null && !stopping.signal.aborted && (o.count == null || n < o.count)) {
      await forgotten(agent, name)
      if (o.json === true) printJson({ type: `channel.${ended}`, channel: name })
      throw new ChannelClosedError(ended === 'closed' ? `${name} was closed` : ended === 'removed' ? `${agent.name} was removed from ${name}` : `${agent.name} left ${name}`, ended)
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await agent.close()
  }
}
