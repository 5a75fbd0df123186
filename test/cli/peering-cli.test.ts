/**
 * `slim-mesh ctl peering` between two meshes, as their operators run it: two controllers
 * in their own processes, each with its own authority; acme proposes from a draft file,
 * beta accepts the handed-over proposal, acme accepts the agreement handed back; both
 * list the peering trusted; a step out of turn fails with the rule; revoking ends it.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { freePort, killChildren, run, startWith } from './spawn.js'
import type { Running } from './spawn.js'
import { tempDir, waitFor } from '../helpers.js'

afterAll(() => { killChildren() })

const NO_TRUST_ENV = { SLIM_MESH_AUTHORITY: '', SLIM_MESH_CREDENTIALS: '' }

async function controller (dir: string): Promise<{ ctl: (...a: string[]) => Promise<{ code: number | null, stdout: string, stderr: string }>, proc: Running }> {
  const port = await freePort()
  const proc = startWith(['controller', '--data-dir', dir, '--listen', `127.0.0.1:${port}`], NO_TRUST_ENV)
  await waitFor(() => proc.out.some(l => l.startsWith('controller on ')), 'the controller banner', 30_000)
  const ctl = async (...a: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> => await run(['ctl', '--controller', `http://127.0.0.1:${port}`, '--credentials', join(dir, 'admin.creds'), ...a], { timeoutMs: 30_000 })
  return { ctl, proc }
}

describe('slim-mesh ctl peering (processes)', () => {
  it('propose, accept, accept: both meshes trusted with one agreement; refusals name their rule; revoke ends it', async () => {
    await using dir = await tempDir()
    const acme = await controller(join(dir.path, 'acme'))
    const beta = await controller(join(dir.path, 'beta'))
    const ok = async (p: Promise<{ code: number | null, stdout: string, stderr: string }>): Promise<string> => { const r = await p; expect(r.code, r.stderr).toBe(0); return r.stdout }
    const betaId = JSON.parse(await ok(beta.ctl('peering', 'identity'))) as { mesh: string, authority: unknown }
    const acmeId = JSON.parse(await ok(acme.ctl('peering', 'identity'))) as { mesh: string }
    expect(betaId.mesh).not.toBe(acmeId.mesh)

    const draft = join(dir.path, 'acme-beta.yaml')
    await writeFile(draft, [
      'id: acme-beta',
      'local: { owns: [acme/**], exports: [{ prefix: acme/public/**, kind: service }], imports: [{ prefix: beta/api/**, as: acme/beta/** }], borders: [acme-border-1, acme-border-2] }',
      `remote: { mesh: ${betaId.mesh}, authority: ${JSON.stringify(betaId.authority)}, owns: [beta/**], exports: [{ prefix: beta/api/**, kind: service }], imports: [{ prefix: acme/public/** }], borders: [beta-border-1, beta-border-2] }`,
      'limits: { messagesPerSecond: 500, bytesPerSecond: 500000, names: 50 }',
      `expires: ${Math.floor(Date.now() / 1000) + 86400}`
    ].join('\n'))
    const proposal = join(dir.path, 'proposal.json')
    expect(await ok(acme.ctl('peering', 'propose', '--file', draft, '--out', proposal))).toMatch(/^peering acme-beta with mesh .+: proposed\.awaitingPeer, version 1, signed by /)

    // Acme cannot accept its own proposal: the rule is named.
    const own = await acme.ctl('peering', 'accept', 'acme-beta')
    expect(own.code).not.toBe(0)
    expect(own.stderr).toMatch(/peering refused \(transition\)/)

    const agreement = join(dir.path, 'agreement.json')
    expect(await ok(beta.ctl('peering', 'accept', '--file', proposal, '--out', agreement))).toMatch(/^peering acme-beta with mesh .+: trusted\.carrying, version 1, signed by .+ and /)
    expect(await ok(acme.ctl('peering', 'accept', '--file', agreement))).toMatch(/trusted\.carrying/)
    for (const side of [acme, beta]) {
      const [v] = JSON.parse(await ok(side.ctl('peering', 'list', '--json'))) as Array<{ state: string, signedBy: string[], agreement: { limits: { names: number } } }>
      expect(v).toMatchObject({ state: 'trusted.carrying', agreement: { limits: { names: 50 } } })
      expect(new Set(v?.signedBy)).toEqual(new Set([acmeId.mesh, betaId.mesh]))
    }
    expect(await ok(acme.ctl('peering', 'show', 'acme-beta'))).toMatch(/beta\/api\/\*\* as acme\/beta\/\*\*/)

    // A document tampered with on the way is refused by its signature.
    const doc = JSON.parse(await readFile(agreement, 'utf8')) as { payload: string }
    const changed = JSON.parse(Buffer.from(doc.payload, 'base64url').toString()) as { limits: { names: number } }
    changed.limits.names = 5000
    await writeFile(join(dir.path, 'forged.json'), JSON.stringify({ ...doc, payload: Buffer.from(JSON.stringify(changed)).toString('base64url') }))
    const forged = await beta.ctl('peering', 'receive', '--file', join(dir.path, 'forged.json'))
    expect(forged.code).not.toBe(0)
    expect(forged.stderr).toMatch(/peering refused \(signature\)/)

    expect(await ok(beta.ctl('peering', 'revoke', 'acme-beta', '--reason', 'trial over'))).toMatch(/: revoked, version 1, .*\(trial over\)$/m)
    const resumed = await beta.ctl('peering', 'resume', 'acme-beta')
    expect(resumed.code).not.toBe(0)
    expect(resumed.stderr).toMatch(/peering refused \(transition\)/)
  }, 120_000)
})
