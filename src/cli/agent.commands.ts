/**
 * `slim-mesh pub | sub | request`: an agent for one command.
 *
 * `sub` prints one line per message, `[NAME #SEQ request from SOURCE] TEXT` (the name it
 * arrived on; `#SEQ` for multicast, `request` when it expects a reply); `--json` prints
 * one object per line and `--raw` only the text, for scripts.
 */
import { open } from 'node:fs/promises'
import { InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { connectAgent } from '../agent/agent.js'
import type { Agent, DeliveryModeName } from '../agent/agent.js'
import type { Message } from '../agent/message.js'
import { toMultiaddr } from '../names/address.js'
import { MAX_PAYLOAD_BYTES } from '../wire/constants.js'
import { PayloadTooLargeError } from '../wire/errors.js'
import { UsageError } from './errors.js'
import { readCredentials } from '../trust/credentials-file.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

const LIMIT = `${MAX_PAYLOAD_BYTES / (1024 * 1024)} MiB (${MAX_PAYLOAD_BYTES} bytes)`

export interface AgentOptions { relay: string, as?: string, defaultName: string, dataDir?: string, credentials?: string }

/** `host:port` or a multiaddr, checked as it is parsed (one line if it is neither). */
export function relayAddress (v: string): string {
  try {
    return toMultiaddr(v)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

/** A whole number >= 1, or one line that says what is wanted. */
export function wholeNumber (flag: string, hint = ''): (v: string) => number {
  return (v: string): number => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a whole number >= 1${hint}, not "${v}"`)
    return n
  }
}

export function agentOptions (cmd: Command, defaultName: string): Command {
  return cmd
    .requiredOption('--relay <addr>', 'the relay: host:port or a multiaddr (ending in /p2p/<peerId> to pin its identity)', relayAddress)
    .option('--as <name>', `this agent's org/namespace/service; the instance comes from its key (default: the name its agent credential grants, else ${defaultName})`)
    .setOptionValue('defaultName', defaultName)
    .option('--data-dir <dir>', 'keep this agent\'s identity and subscription positions here')
    .option('--credentials <file>', 'what the agent proves its name with: an agent credential, or an issuer\'s credentials (the relay prints its development ones); also SLIM_MESH_CREDENTIALS')
}

export async function connect (opts: AgentOptions): Promise<Agent> {
  const credentials = opts.credentials ?? (process.env.SLIM_MESH_CREDENTIALS?.trim() === '' ? undefined : process.env.SLIM_MESH_CREDENTIALS)
  // An agent credential names the agent itself; an issuer's (or none) takes the command's default name.
  const file = credentials != null ? await readCredentials(credentials) : undefined
  const name = opts.as ?? (file?.kind === 'slim-mesh/agent' ? undefined : opts.defaultName)
  const creds = file?.kind === 'slim-mesh/agent' || file?.kind === 'slim-mesh/issuer' ? file : credentials
  return await connectAgent({ relay: opts.relay, name, dataDir: opts.dataDir, credentials: creds })
}

/** The payload of `pub`: the text argument, stdin for `-`, or `--file`; at most MAX_PAYLOAD_BYTES. */
async function readPayload (text: string | undefined, file: string | undefined): Promise<Uint8Array> {
  if (text != null && file != null) throw new UsageError(`give the message once: as TEXT, as - (stdin) or with --file, not both "${text}" and --file ${file}`)
  if (file != null) {
    let fh
    try {
      fh = await open(file)
    } catch (err) {
      throw new UsageError(`cannot read --file ${file}: ${(err as Error).message}`, { cause: err })
    }
    try {
      const size = (await fh.stat()).size
      if (size > MAX_PAYLOAD_BYTES) throw new PayloadTooLargeError(`${file} is ${size} bytes, over the ${LIMIT} limit of one message`)
      return new Uint8Array(await fh.readFile())
    } finally {
      await fh.close()
    }
  }
  if (text == null) throw new UsageError('pub needs the message: TEXT, - to read it from stdin, or --file PATH')
  if (text !== '-') {
    const data = enc.encode(text)
    if (data.byteLength > MAX_PAYLOAD_BYTES) throw new PayloadTooLargeError(`the message is ${data.byteLength} bytes, over the ${LIMIT} limit of one message`)
    return data
  }
  if (process.stdin.isTTY === true) console.error('reading the message from stdin (end it with Ctrl-D)')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > MAX_PAYLOAD_BYTES) {
      process.stdin.destroy()
      throw new PayloadTooLargeError(`the message on stdin is over the ${LIMIT} limit of one message`)
    }
    chunks.push(chunk)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/** `[acme/demo/echo #12 from acme/x/y/abc] hello`, `[acme/demo/echo request from acme/x/y/abc] hi`. */
export function formatMessage (m: Message, text: string): string {
  const tags = [m.destination]
  if (m.seq != null) tags.push(`#${m.seq}`)
  if (m.respond != null) tags.push('request')
  tags.push(`from ${m.source}`)
  return `[${tags.join(' ')}] ${text.endsWith('\n') ? text.slice(0, -1) : text}`
}

export function registerAgentCommands (program: Command): void {
  agentOptions(program.command('pub'), 'slim-mesh/cli/pub')
    .description('publish one message: TEXT, - to read it from stdin, or --file PATH (at most 1 MiB)')
    .argument('<name>', 'org/namespace/service, or an agent\'s full name for unicast')
    .argument('[text]', 'the message; - reads it from stdin')
    .option('--file <path>', 'read the message from this file')
    .addOption(new Option('--mode <mode>', 'delivery mode (default: unicast for an agent name, else anycast)').choices(['anycast', 'multicast', 'unicast']))
    .action(async (name: string, text: string | undefined, opts: AgentOptions & { file?: string, mode?: DeliveryModeName }) => {
      const data = await readPayload(text, opts.file) // before connecting: a bad payload costs no session
      const agent = await connect(opts)
      try {
        const r = await agent.publish(name, data, { mode: opts.mode })
        console.log(r.seq != null ? `published, seq ${r.seq}` : 'published')
      } finally {
        await agent.close()
      }
    })

  agentOptions(program.command('sub'), 'slim-mesh/cli/sub')
    .description('subscribe and print one line per message: [NAME #SEQ request from SOURCE] TEXT')
    .argument('<name>', 'org/namespace/service')
    .option('--from-seq <n>', 'replay multicast messages from this sequence number (1: the whole archive)', wholeNumber('--from-seq', ' (sequence numbers start at 1; leave it out to get only new messages)'))
    .option('--count <n>', 'exit after this many messages', wholeNumber('--count'))
    .option('--echo', 'answer each request with its own text')
    .addOption(new Option('--json', 'print each message as JSON: subject, destination, source, seq, mode, request, text').conflicts('raw'))
    .option('--raw', 'print only the text of each message')
    .option('--inbox', 'also open this agent\'s inbox and print unicast sent to its own name (without it, such unicast is refused with NoRouteError)')
    .action(async (name: string, opts: AgentOptions & { fromSeq?: number, count?: number, echo?: boolean, json?: boolean, raw?: boolean, inbox?: boolean }) => {
      const agent = await connect(opts)
      const subs = [await agent.subscribe(name, { fromSeq: opts.fromSeq })]
      if (opts.inbox === true && name !== agent.name) subs.push(await agent.inbox())
      console.error(`subscribed to ${name}${subs.length > 1 ? ' and to its inbox' : ''} as ${agent.name}`)
      const stop = (): void => { for (const s of subs) void s.close() }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      let n = 0
      try {
        await Promise.all(subs.map(async sub => {
          for await (const m of sub) {
            const text = dec.decode(m.data)
            if (opts.json === true) {
              console.log(JSON.stringify({ subject: m.subject, destination: m.destination, source: m.source, seq: m.seq ?? null, mode: m.mode, request: m.respond != null, text }))
            } else {
              console.log(opts.raw === true ? text : formatMessage(m, text))
            }
            if (opts.echo === true && m.respond != null) await m.respond(m.data)
            if (opts.count != null && ++n >= opts.count) { stop(); break }
          }
        }))
      } finally {
        await agent.close()
      }
    })

  agentOptions(program.command('request'), 'slim-mesh/cli/request')
    .description('send a request to one instance of a service and print the reply')
    .argument('<name>', 'org/namespace/service, or an agent\'s full name')
    .argument('<text>', 'the request')
    .option('--timeout <ms>', 'how long to wait for the reply, in milliseconds', wholeNumber('--timeout', ' (milliseconds)'), 10_000)
    .action(async (name: string, text: string, opts: AgentOptions & { timeout: number }) => {
      const agent = await connect(opts)
      try {
        const reply = await agent.request(name, enc.encode(text), { timeoutMs: opts.timeout })
        console.log(dec.decode(reply.data))
      } finally {
        await agent.close()
      }
    })
}
