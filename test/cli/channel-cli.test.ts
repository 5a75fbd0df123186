/**
 * `slim-mesh channel` run as two users run it: alice and bob, each an agent with its own
 * data directory, each command its own process, through one relay. What each printed is
 * the check: create, bob's listen waiting for the invitation, invite, a message each way
 * (one in JSON), members, list, remove (bob's listen ends saying so, exit 3), close, and
 * the one-line failures after; then a conversation with `listen --chat` on both sides,
 * and `leave` answered by the other side's listen.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, expect } from 'vitest'
import { waitFor } from '../helpers.js'
import { createProgram } from '../../src/cli/main.js'
import { run } from './spawn.js'
import { channelCli, lines, ok } from './channel-cli-helpers.js'

const cli = channelCli('slim-mesh-channel-cli-')
const { channel, start, line } = cli

const ROOM = 'acme/demo/room'
const esc = (s: string): string => s.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')

describe('slim-mesh channel', () => {
  it('two agents in two processes: create, invite, send both ways, members, remove, close', async () => {
    const created = ok(await channel('alice', 'create', ROOM, '--as', 'acme/demo/alice'))
    const alice = /^created acme\/demo\/room as (acme\/demo\/alice\/[a-z2-7]+) \(owner\); epoch 0, 1 member\n$/.exec(created.stdout)?.[1] ?? ''
    expect(alice, created.stdout).not.toBe('')

    // Bob is no member yet: his listen waits for an invitation, saying the full name to invite.
    const bobWaits = start('bob', 'listen', ROOM, '--as', 'acme/demo/bob', '--count', '1')
    const waiting = await line(bobWaits, 'waiting to be invited to ', 'bob\'s listen to wait')
    const bob = /^waiting to be invited to acme\/demo\/room as (acme\/demo\/bob\/[a-z2-7]+)$/.exec(waiting)?.[1] ?? ''
    expect(bob, waiting).not.toBe('')

    const invited = ok(await channel('alice', 'invite', ROOM, bob)) // alice's name remembered: no --as
    expect(invited.stdout).toBe(`invited ${bob} to ${ROOM}; epoch 1, 2 members\n`)
    expect(await line(bobWaits, 'joined ', 'bob to join')).toBe(`joined ${ROOM} as ${bob}; epoch 1, 2 members`)

    const sent = ok(await channel('alice', 'send', ROOM, 'hello'))
    const seq = Number(/^sent, seq (\d+)\n$/.exec(sent.stdout)?.[1])
    expect(seq, sent.stdout).toBeGreaterThan(0)
    expect(await bobWaits.exited).toBe(0) // --count 1
    expect(bobWaits.out).toEqual([`[${ROOM} #${seq} from ${alice}] hello`])

    // Bob answers (his own process, his saved state); alice reads it, in JSON.
    const answered = ok(await channel('bob', 'send', ROOM, 'hi alice', '--json'))
    const reply = JSON.parse(answered.stdout) as { channel: string, seq: number, epoch: number }
    expect(reply).toEqual({ channel: ROOM, seq: expect.any(Number), epoch: 1 })
    expect(reply.seq).toBeGreaterThan(seq)
    const heard = ok(await channel('alice', 'listen', ROOM, '--count', '1', '--json'))
    expect(lines(heard.stdout).map(l => JSON.parse(l) as unknown)).toEqual([
      { type: 'channel.active', channel: ROOM, epoch: 1, members: [alice, bob], restored: true },
      { type: 'message', channel: ROOM, seq: reply.seq, epoch: 1, sender: bob, text: 'hi alice' }
    ])

    const members = ok(await channel('alice', 'members', ROOM))
    expect(lines(members.stdout).map(l => l.split(/\s{2,}/))).toEqual([
      [`${ROOM}: epoch 1, 2 members`], ['member', 'role'], [alice, 'owner (you)'], [bob, 'member']
    ])
    const membersJson = JSON.parse(ok(await channel('alice', 'members', ROOM, '--json')).stdout) as Record<string, unknown>
    expect(membersJson).toMatchObject({ channel: ROOM, epoch: 1, owner: alice, admins: [], members: [{ name: alice, role: 'owner' }, { name: bob, role: 'member' }] })
    const listed = ok(await run(['channel', 'list', '--data-dir', join(cli.dirs, 'alice')]))
    expect(lines(listed.stdout).map(l => l.split(/\s{2,}/))).toEqual([['channel', 'seq', 'epoch', 'suite'], [ROOM, String(reply.seq), '1', expect.stringMatching(/^MLS_128_/)]])

    // Bob listens again (restored from his data directory); meanwhile that directory is his listen's alone.
    const bobListens = start('bob', 'listen', ROOM)
    expect(await line(bobListens, 'listening to ', 'bob\'s listen to restore the channel')).toBe(`listening to ${ROOM} as ${bob}; epoch 1, 2 members`)
    const locked = await channel('bob', 'send', ROOM, 'me too')
    expect(locked.code).toBe(1)
    expect(lines(locked.stderr)).toEqual([expect.stringMatching(/^slim-mesh: data directory \S+ is in use by another process \(a `slim-mesh channel listen` of this agent\?\)/)])

    const removed = ok(await channel('alice', 'remove', ROOM, bob))
    expect(removed.stdout).toBe(`removed ${bob} from ${ROOM}; epoch 2, 1 member\n`)
    expect(await bobListens.exited).toBe(3)
    expect(bobListens.out).toEqual([])
    expect(bobListens.err.at(-1)).toBe(`slim-mesh: ${bob} was removed from ${ROOM}`)
    const bobAfter = await channel('bob', 'send', ROOM, 'still here?')
    expect(bobAfter.code).toBe(1)
    expect(lines(bobAfter.stderr)).toEqual([`slim-mesh: ${bob} is not a member of ${ROOM}: ${join(cli.dirs, 'bob')} holds no state of it (the channel was closed, this agent left or was removed, or it never joined); \`slim-mesh channel listen ${ROOM}\` waits for an invitation`])

    expect(ok(await channel('alice', 'close', ROOM)).stdout).toBe(`closed ${ROOM}\n`)
    const afterClose = await channel('alice', 'send', ROOM, 'anyone?')
    expect(afterClose.code).toBe(1)
    expect(lines(afterClose.stderr)).toEqual([expect.stringMatching(new RegExp(`^slim-mesh: ${esc(alice)} is not a member of ${esc(ROOM)}: .* \\(the channel was closed, `))])
    expect(ok(await run(['channel', 'list', '--data-dir', join(cli.dirs, 'alice')])).stdout).toBe('channel  seq  epoch  suite\n(none)\n')
  }, 400_000)

  it('listen --chat: two shells hold a conversation, each line typed sent and every message printed at both; leave', async () => {
    const room = 'acme/demo/chat'
    ok(await channel('carol', 'create', room, '--as', 'acme/demo/carol'))
    const dave = start('dave', 'listen', room, '--chat', '--as', 'acme/demo/dave')
    const daveName = (await line(dave, 'waiting to be invited to ', 'dave to wait')).split(' as ')[1] ?? ''
    ok(await channel('carol', 'invite', room, daveName))
    await line(dave, 'joined ', 'dave to join')
    const carol = start('carol', 'listen', room, '--chat')
    const carolLine = await line(carol, 'listening to ', 'carol to listen')
    const carolName = /as (\S+);/.exec(carolLine)?.[1] ?? ''

    dave.child.stdin?.write('hi carol\n')
    await waitFor(() => carol.out.length >= 1 && dave.out.length >= 1, 'dave\'s line at both', 60_000)
    carol.child.stdin?.write('hello dave\n')
    await waitFor(() => carol.out.length >= 2 && dave.out.length >= 2, 'carol\'s line at both', 60_000)
    const expected = [
      expect.stringMatching(new RegExp(`^\\[${esc(room)} #\\d+ from ${esc(daveName)}\\] hi carol$`)),
      expect.stringMatching(new RegExp(`^\\[${esc(room)} #\\d+ from ${esc(carolName)}\\] hello dave$`))
    ]
    expect(carol.out).toEqual(expected)
    expect(dave.out).toEqual(carol.out)

    // Dave stops listening (Ctrl-C: his state stays saved) and leaves; carol's listen removes him and says so.
    dave.child.kill('SIGINT')
    expect(await dave.exited).toBe(0)
    expect(ok(await channel('dave', 'leave', room)).stdout).toBe(`left ${room}\n`)
    await waitFor(() => carol.err.includes(`${daveName} is no longer a member of ${room} (epoch 2)`), 'carol to see dave go', 60_000)
    carol.child.kill('SIGINT')
    expect(await carol.exited).toBe(0)
    expect(carol.out).toHaveLength(2)
  }, 300_000)

  it('says what is wrong in one line before connecting: another agent\'s data directory', async () => {
    const dir = join(cli.dirs, 'erin')
    await mkdir(dir)
    await writeFile(join(dir, 'slim-mesh-agent.json'), JSON.stringify({ name: 'acme/demo/erin' }))
    const res = await run(['channel', 'members', ROOM, '--as', 'acme/demo/frank', '--relay', cli.at, '--data-dir', dir])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([`slim-mesh: ${dir} is the data directory of acme/demo/erin (its key and channels are that agent's); leave out --as, or give acme/demo/frank a data directory of its own`])
  }, 120_000)

  it('--help of each subcommand says its usage and options', async () => {
    const channelCmd = createProgram().commands.find(c => c.name() === 'channel')
    const subs = ['create', 'invite', 'members', 'send', 'listen', 'remove', 'leave', 'close', 'list', 'request', 'approve', 'decline']
    expect(channelCmd?.commands.map(c => c.name()).sort()).toEqual([...subs].sort())
    for (const sub of subs) {
      const help = channelCmd?.commands.find(c => c.name() === sub)?.helpInformation() ?? ''
      expect(help).toMatch(new RegExp(`^Usage: slim-mesh channel ${sub} \\[options\\]`))
      expect(help).toContain('--data-dir <dir>')
      expect(help).toContain('--json')
      if (sub !== 'list') expect(help).toContain('--relay <addr>')
    }
    const top = ok(await run(['channel', '--help']))
    for (const sub of subs) expect(top.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'))
    const listen = ok(await run(['channel', 'listen', '--help']))
    expect(listen.stdout).toMatch(/^Usage: slim-mesh channel listen \[options\] <name>/)
    for (const o of ['--count <n>', '--timeout <ms>', '--chat']) expect(listen.stdout).toContain(o)
  }, 120_000)
})
