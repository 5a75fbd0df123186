/** `slim-mesh pub | sub | request`: an agent for one command. */
import { Option } from 'commander'
import type { Command } from 'commander'
import { connectAgent } from '../agent/agent.js'
import type { Agent, DeliveryModeName } from '../agent/agent.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

function agentOptions (cmd: Command, defaultName: string): Command {
  return cmd
    .requiredOption('--relay <addr>', 'the relay multiaddr, ending in /p2p/<peerId>')
    .option('--as <name>', 'this agent\'s org/namespace/service (the instance comes from its key)', defaultName)
    .option('--data-dir <dir>', 'keep this agent\'s identity and subscription positions here')
}

async function connect (opts: { relay: string, as: string, dataDir?: string }): Promise<Agent> {
  return await connectAgent({ relay: opts.relay, name: opts.as, dataDir: opts.dataDir })
}

export function registerAgentCommands (program: Command): void {
  agentOptions(program.command('pub'), 'slim-mesh/cli/pub')
    .description('publish one message')
    .argument('<name>', 'org/namespace/service, or an agent\'s full name for unicast')
    .argument('<text>', 'the message')
    .addOption(new Option('--mode <mode>', 'delivery mode (default: unicast for an agent name, else anycast)').choices(['anycast', 'multicast', 'unicast']))
    .action(async (name: string, text: string, opts: { relay: string, as: string, dataDir?: string, mode?: DeliveryModeName }) => {
      const agent = await connect(opts)
      try {
        const r = await agent.publish(name, enc.encode(text), { mode: opts.mode })
        console.log(r.seq != null ? `published, seq ${r.seq}` : 'published')
      } finally {
        await agent.close()
      }
    })

  agentOptions(program.command('sub'), 'slim-mesh/cli/sub')
    .description('subscribe and print one line per message')
    .argument('<name>', 'org/namespace/service')
    .option('--from-seq <n>', 'replay multicast messages from this sequence number', (v) => parseInt(v, 10))
    .option('--count <n>', 'exit after this many messages', (v) => parseInt(v, 10))
    .option('--echo', 'answer each request with its own text')
    .option('--json', 'print each message as JSON (text, source, seq, mode)')
    .action(async (name: string, opts: { relay: string, as: string, dataDir?: string, fromSeq?: number, count?: number, echo?: boolean, json?: boolean }) => {
      const agent = await connect(opts)
      const sub = await agent.subscribe(name, { fromSeq: opts.fromSeq })
      console.error(`subscribed to ${name} as ${agent.name}`)
      const stop = (): void => { void sub.close() }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      let n = 0
      try {
        for await (const m of sub) {
          const text = dec.decode(m.data)
          console.log(opts.json === true ? JSON.stringify({ text, source: m.source, seq: m.seq, mode: m.mode }) : text)
          if (opts.echo === true && m.respond != null) await m.respond(m.data)
          if (opts.count != null && ++n >= opts.count) break
        }
      } finally {
        await agent.close()
      }
    })

  agentOptions(program.command('request'), 'slim-mesh/cli/request')
    .description('send a request to one instance of a service and print the reply')
    .argument('<name>', 'org/namespace/service, or an agent\'s full name')
    .argument('<text>', 'the request')
    .option('--timeout <ms>', 'how long to wait for the reply', (v) => parseInt(v, 10), 10_000)
    .action(async (name: string, text: string, opts: { relay: string, as: string, dataDir?: string, timeout: number }) => {
      const agent = await connect(opts)
      try {
        const reply = await agent.request(name, enc.encode(text), { timeoutMs: opts.timeout })
        console.log(dec.decode(reply.data))
      } finally {
        await agent.close()
      }
    })
}
