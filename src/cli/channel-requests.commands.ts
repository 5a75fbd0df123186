/**
 * `slim-mesh channel request | approve | decline`: joining a channel by asking its
 * members instead of waiting to be invited.
 *
 *   carol$ slim-mesh channel request acme/demo/room --note 'carol from research' ...   # waits for a member's answer
 *   alice$ slim-mesh channel approve acme/demo/room acme/demo/carol ...                # or --all; decline REQUESTER [--reason]
 *
 * The requester's side is `agent.requestToJoin(name, { timeoutMs, signal, note })`, a
 * member's `channel.pendingJoinRequests()`, `channel.joinRequests()`,
 * `channel.approveJoin(id)` and `channel.declineJoin(id, reason)` (src/channel/join-requests.ts).
 */
import type { Command } from 'commander'
import type { Channel } from '../channel/agent-channels.js'
import type { JoinRequestInfo } from '../channel/join-requests.js'
import { AlreadyMemberError } from '../channel/errors.js'
import { TimeoutError } from '../relay/errors.js'
import { wholeNumber } from './agent.commands.js'
import { UsageError } from './errors.js'
import { channelAgentOptions, channelJson, epochLine, isSaved, openAgent, printJson, withChannel } from './channel-agent.js'
import type { ChannelOptions } from './channel-agent.js'

/** Whether `r` is the one `who` names: its id, its full name, or its service name. */
const names = (who: string) => (r: JoinRequestInfo): boolean => String(r.id) === who || r.requester === who || r.requester.startsWith(`${who}/`)

/**
 * The requests `match` takes: those pending now, else the first to come within
 * `timeoutMs` (with `all`, every one pending by then).
 */
async function requestsFor (api: Channel, match: (r: JoinRequestInfo) => boolean, all: boolean, timeoutMs: number, what: string): Promise<JoinRequestInfo[]> {
  const pick = (): JoinRequestInfo[] => {
    const found = api.pendingJoinRequests().filter(match)
    return all ? found : found.slice(0, 1)
  }
  const now = pick()
  if (now.length > 0) return now
  const it = api.joinRequests()[Symbol.asyncIterator]()
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'late'>(resolve => { timer = setTimeout(() => { resolve('late') }, timeoutMs) })
  try {
    for (;;) {
      const next = await Promise.race([it.next(), late])
      if (next === 'late') throw new TimeoutError(`no request to join ${what} came within ${timeoutMs} ms`)
      if (next.done === true) throw new TimeoutError(`the channel ended before a request to join ${what} came`)
      if (match(next.value)) {
        if (!all) return [next.value]
        const more = pick()
        return more.some(r => r.id === next.value.id) ? more : [next.value, ...more]
      }
    }
  } finally {
    clearTimeout(timer)
    void it.return?.()
  }
}

const requestLabel = (r: JoinRequestInfo): string => `${r.requester}${r.note != null && r.note !== '' ? ` ("${r.note}")` : ''}`

export function registerChannelRequestCommands (channel: Command): void {
  channelAgentOptions(channel.command('request'))
    .description('ask the members of a channel to let this agent in; waits for one to approve (or decline)')
    .argument('<name>', 'the channel')
    .option('--note <text>', 'what the members see with the request (who you are, why)')
    .option('--timeout <ms>', 'how long to wait for an answer, in milliseconds', wholeNumber('--timeout', ' (milliseconds)'), 120_000)
    .action(async (name: string, o: ChannelOptions & { note?: string, timeout: number }) => {
      const agent = await openAgent(o)
      try {
        if (await isSaved(agent, name)) throw new AlreadyMemberError(`${agent.name} is already a member of ${name} (saved in ${o.dataDir})`)
        console.error(`asked to join ${name} as ${agent.name}; waiting for a member to approve`)
        const ch = await agent.requestToJoin(name, { timeoutMs: o.timeout, note: o.note })
        if (o.json === true) printJson(channelJson(ch))
        else console.log(`joined ${ch.name} as ${agent.name}; ${epochLine(ch)}`)
      } finally {
        await agent.close()
      }
    })

  channelAgentOptions(channel.command('approve'))
    .description('let in an agent that asked to join (owner or admin): REQUESTER (its name or the request id), or --all')
    .argument('<name>', 'the channel')
    .argument('[requester]', 'the requester\'s full or service name, or the request\'s id')
    .option('--all', 'every request waiting')
    .option('--timeout <ms>', 'how long to wait for a request to come, in milliseconds', wholeNumber('--timeout', ' (milliseconds)'), 30_000)
    .action(async (name: string, who: string | undefined, o: ChannelOptions & { all?: boolean, timeout: number }) => {
      if ((who == null) === (o.all !== true)) throw new UsageError('say whom to approve: REQUESTER (a name or a request id) or --all')
      await withChannel(o, name, async ch => {
        const requests = await requestsFor(ch, who != null ? names(who) : () => true, o.all === true, o.timeout, who != null ? `${name} from ${who}` : name)
        for (const r of requests) await ch.approveJoin(r.id)
        if (o.json === true) printJson({ ...channelJson(ch), approved: requests.map(r => ({ id: r.id, requester: r.requester, note: r.note ?? null })) })
        else for (const r of requests) console.log(`approved ${requestLabel(r)} into ${ch.name}; ${epochLine(ch)}`)
      })
    })

  channelAgentOptions(channel.command('decline'))
    .description('turn down a request to join (owner or admin)')
    .argument('<name>', 'the channel')
    .argument('<requester>', 'the requester\'s full or service name, or the request\'s id')
    .option('--reason <text>', 'what the requester is told')
    .option('--timeout <ms>', 'how long to wait for the request to come, in milliseconds', wholeNumber('--timeout', ' (milliseconds)'), 30_000)
    .action(async (name: string, who: string, o: ChannelOptions & { reason?: string, timeout: number }) => {
      await withChannel(o, name, async ch => {
        const [r] = await requestsFor(ch, names(who), false, o.timeout, `${name} from ${who}`)
        if (r == null) return
        await ch.declineJoin(r.id, o.reason)
        if (o.json === true) printJson({ channel: ch.name, declined: { id: r.id, requester: r.requester } })
        else console.log(`declined ${requestLabel(r)}`)
      })
    })
}
