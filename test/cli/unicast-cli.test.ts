/**
 * Unicast to a running agent from the command line: refused in one line while the agent
 * reads neither its inbox nor its service (never "published" for a message nobody will
 * read), delivered once `sub --inbox` opens it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { relay, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { hostPort, killChildren, run, subscriber } from './spawn.js'

let r: Relay
let at: string
beforeAll(async () => {
  r = await relay()
  at = hostPort(r.multiaddrs[0] as string)
})
afterAll(async () => {
  killChildren()
  await r.stop()
})

const subscribe = async (...a: string[]): ReturnType<typeof subscriber> => await subscriber(at, ...a)

describe('slim-mesh pub to an agent\'s full name', () => {
  it('fails with NoRouteError in one line when the agent has no inbox open', async () => {
    const { sub, name } = await subscribe('acme/uni-cli/topic')
    expect(name).toMatch(/^slim-mesh\/cli\/sub\/[a-z2-7]+$/)
    const res = await run(['pub', '--relay', at, name, 'hi'])
    expect(res.code).toBe(1)
    expect(res.stdout).toBe('')
    expect(res.stderr.trim().split('\n')).toHaveLength(1)
    expect(res.stderr).toMatch(/takes no unicast/)
    sub.child.kill('SIGTERM')
  }, 120_000)

  it('reaches `sub --inbox`, which prints it with the agent\'s own name', async () => {
    const { sub, name } = await subscribe('acme/uni-cli/topic', '--inbox', '--count', '1')
    const res = await run(['pub', '--relay', at, name, 'hello inbox'])
    expect(res).toMatchObject({ code: 0, stdout: 'published\n' })
    await waitFor(() => sub.out.length > 0, 'the message at the subscriber', 30_000)
    expect(sub.out[0]).toMatch(new RegExp(`^\\[${name.replace(/\//g, '\\/')} from slim-mesh/cli/pub/[a-z2-7]+\\] hello inbox$`))
    expect(await sub.exited).toBe(0)
  }, 120_000)
})
