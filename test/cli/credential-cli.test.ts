/**
 * The authority's tools, run as an operator runs them: `authority init`, `credential
 * issue` (an issuer, an agent within its prefix, a relay), `credential show`, and
 * `credential revoke --relay`, which cuts the revoked agent's session.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { waitFor } from '../helpers.js'
import { killChildren, run, startWith } from './spawn.js'
import { readCredentials } from '../../src/trust/credentials-file.js'

const dirs: string[] = []
afterAll(async () => {
  killChildren()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const lines = (s: string): string[] => s.split('\n').filter(Boolean)

describe('slim-mesh authority and credential', () => {
  it('init, issue, show; an issuer cannot sign outside its prefix; a revocation handed to the relay cuts the agent', async () => {
    const d = await mkdtemp(join(tmpdir(), 'slim-mesh-creds-'))
    dirs.push(d)
    const init = await run(['authority', 'init', '--out', join(d, 'authority.json'), '--public', join(d, 'authority.pub.json')])
    expect(init.code).toBe(0)
    expect(init.stdout).toMatch(/^mesh \S{43}\n$/)
    expect((await stat(join(d, 'authority.json'))).mode & 0o777).toBe(0o600)
    // No file is overwritten by accident.
    const again = await run(['authority', 'init', '--out', join(d, 'authority.json'), '--public', join(d, 'authority.pub.json')])
    expect(again.code).toBe(1)
    expect(lines(again.stderr)).toEqual([`slim-mesh: ${join(d, 'authority.json')} exists; remove it or pass --force to replace it`])

    expect((await run(['credential', 'issue', '--signer', join(d, 'authority.json'), '--issuer', 'acme/**', '--out', join(d, 'acme.creds')])).code).toBe(0)
    const issued = await run(['credential', 'issue', '--signer', join(d, 'acme.creds'), '--agent', 'acme/research/summarizer', '--serve', 'acme/research/summarizer', '--subscribe', 'acme/research/*', '--out', join(d, 'sum.creds')])
    expect(issued.code).toBe(0)
    const sum = await readCredentials(join(d, 'sum.creds'))
    if (sum.kind !== 'slim-mesh/agent') throw new Error('not an agent credential')
    expect(decodeJwt(sum.credential)).toMatchObject({ sub: 'acme/research/summarizer', grants: { serve: ['acme/research/summarizer'], subscribe: ['acme/research/*'] } })
    expect(sum.key).toBeDefined()

    const outside = await run(['credential', 'issue', '--signer', join(d, 'acme.creds'), '--agent', 'globex/x/y', '--all'])
    expect(outside.code).toBe(1)
    expect(lines(outside.stderr)).toEqual(['slim-mesh: credential refused (outside-prefix): the issuer for "acme/**" cannot issue a credential for globex/x/y'])
    const relayByIssuer = await run(['credential', 'issue', '--signer', join(d, 'acme.creds'), '--relay', '12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd'])
    expect(lines(relayByIssuer.stderr)).toEqual(['slim-mesh: only the mesh authority issues relay credentials; --signer must be its file'])

    const shown = await run(['credential', 'show', join(d, 'sum.creds'), '--authority', join(d, 'authority.pub.json')])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/^kind slim-agent\+jwt$/m)
    expect(shown.stdout).toMatch(/^sub "acme\/research\/summarizer"$/m)
    expect(shown.stdout).toMatch(/^valid: signed by a trusted chain of this mesh, not expired$/m)
    const other = await mkdtemp(join(tmpdir(), 'slim-mesh-other-'))
    dirs.push(other)
    await run(['authority', 'init', '--out', join(other, 'a.json'), '--public', join(other, 'a.pub.json')])
    const foreign = await run(['credential', 'show', join(d, 'sum.creds'), '--authority', join(other, 'a.pub.json')])
    expect(foreign.code).toBe(1)
    expect(foreign.stdout).toMatch(/^NOT valid: credential refused \(untrusted-issuer\)/m)

    // A relay of this mesh; the summarizer serves through it; the operator revokes it.
    const env = { SLIM_MESH_AUTHORITY: '', SLIM_MESH_CREDENTIALS: '' }
    const node = startWith(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--in-memory', '--authority', join(d, 'authority.json')], env)
    await waitFor(() => node.out.some(l => l.startsWith('listening on ')), 'the relay to listen', 60_000)
    const addr = node.out.find(l => l.startsWith('listening on '))?.slice('listening on '.length) ?? ''
    const sub = startWith(['sub', '--relay', addr, '--credentials', join(d, 'sum.creds'), 'acme/research/summarizer', '--echo'], env)
    await waitFor(() => sub.err.some(l => l.startsWith('subscribed to ')) || sub.child.exitCode != null, 'the summarizer to subscribe', 60_000)
    expect(sub.err.find(l => l.startsWith('subscribed to '))).toMatch(/^subscribed to acme\/research\/summarizer as acme\/research\/summarizer\//)
    const asked = await run(['request', '--relay', addr, '--credentials', join(d, 'acme.creds'), '--as', 'acme/cli/asker', 'acme/research/summarizer', 'hi'], { timeoutMs: 60_000 })
    expect(asked.stdout.trim()).toBe('hi')

    const revoked = await run(['credential', 'revoke', '--signer', join(d, 'authority.json'), '--id', String(decodeJwt(sum.credential).jti), '--relay', addr, '--credentials', join(d, 'acme.creds'), '--as', 'acme/ops/revoker'], { timeoutMs: 60_000 })
    expect(revoked.stderr).toBe('')
    expect(revoked.stdout).toMatch(/^revocation \S+ taken by /)
    await waitFor(() => sub.child.exitCode != null, 'the revoked summarizer to be cut', 20_000).catch((e: Error) => { throw new Error(`${e.message}; sub printed ${JSON.stringify(sub.err)}; node printed ${JSON.stringify(node.err.slice(-8))}`) })
    expect(sub.err.join('\n')).toMatch(/credential refused \(revoked\)/)
    node.child.kill('SIGINT')
  }, 240_000)
})
