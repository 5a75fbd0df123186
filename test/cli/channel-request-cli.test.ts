/**
 * `slim-mesh channel request | approve | decline` in separate processes: an agent asks to
 * join, the owner approves it (the requester's `request` prints that it joined, and it
 * reads what is sent next), another asks and is declined (its `request` fails in one line
 * with the reason). Runs on `agent.requestToJoin` and the channel's join requests
 * (src/cli/channel-requests.commands.ts).
 */
import { describe, it, expect } from 'vitest'
import { channelCli, lines, ok } from './channel-cli-helpers.js'

const cli = channelCli('slim-mesh-channel-request-cli-')
const { channel, start, line } = cli

const ROOM = 'acme/demo/lobby'

describe('slim-mesh channel request / approve / decline', () => {
  it('an agent that asks is let in by the owner; one declined is told why', async () => {
    const created = ok(await channel('alice', 'create', ROOM, '--as', 'acme/demo/alice'))
    const alice = /as (\S+) \(owner\)/.exec(created.stdout)?.[1] ?? ''

    const carolAsks = start('carol', 'request', ROOM, '--as', 'acme/demo/carol', '--note', 'carol from research')
    const asked = await line(carolAsks, 'asked to join ', 'carol to ask')
    const carol = /as (\S+);/.exec(asked)?.[1] ?? ''
    expect(carol).toMatch(/^acme\/demo\/carol\/[a-z2-7]+$/)

    const approved = ok(await channel('alice', 'approve', ROOM, 'acme/demo/carol'))
    expect(approved.stdout).toBe(`approved ${carol} ("carol from research") into ${ROOM}; epoch 1, 2 members\n`)
    expect(await carolAsks.exited).toBe(0)
    expect(carolAsks.out).toEqual([`joined ${ROOM} as ${carol}; epoch 1, 2 members`])

    const sent = ok(await channel('alice', 'send', ROOM, 'welcome, carol'))
    const seq = /seq (\d+)/.exec(sent.stdout)?.[1] ?? ''
    const heard = ok(await channel('carol', 'listen', ROOM, '--count', '1'))
    expect(heard.stdout).toBe(`[${ROOM} #${seq} from ${alice}] welcome, carol\n`)

    const daveAsks = start('dave', 'request', ROOM, '--as', 'acme/demo/dave', '--timeout', '60000')
    await line(daveAsks, 'asked to join ', 'dave to ask')
    const declined = ok(await channel('alice', 'decline', ROOM, 'acme/demo/dave', '--reason', 'not today'))
    expect(declined.stdout).toMatch(/^declined acme\/demo\/dave\/[a-z2-7]+\n$/)
    expect(await daveAsks.exited).toBe(1)
    expect(daveAsks.err.filter(l => l.startsWith('slim-mesh: '))).toEqual([expect.stringMatching(/not today/)])

    const members = JSON.parse(ok(await channel('alice', 'members', ROOM, '--json')).stdout) as { members: Array<{ name: string }> }
    expect(members.members.map(m => m.name)).toEqual([alice, carol])

    // Nobody to approve: approve waits --timeout for a request, then says so in one line.
    const none = await channel('alice', 'approve', ROOM, '--all', '--timeout', '500')
    expect(none.code).toBe(1)
    expect(lines(none.stderr)).toEqual([`slim-mesh: no request to join ${ROOM} came within 500 ms`])
  }, 400_000)
})
