/**
 * A data directory is one relay's: a second opener gets `DataDirInUseError`, which says
 * so and how to fix it, not classic-level's bare "Database failed to open".
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../../src/store/level-store.js'
import type { Store } from '../../src/store/store.js'

const dirs: string[] = []
const opened: Store[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {})
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('openStore on a data directory in use', () => {
  it('fails with DataDirInUseError naming the directory and the fix; free again once closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-lock-'))
    dirs.push(dir)
    const first = await openStore(dir)
    opened.push(first)
    const err = await openStore(dir).then(() => undefined, (e: Error) => e)
    expect(err?.name).toBe('DataDirInUseError')
    expect(err?.message).toBe(`data directory ${dir} is in use by another process (is a relay already running on it?); stop that one, or give this one another data directory (--data-dir DIR, or --in-memory)`)
    expect((err?.cause as { cause?: { code?: string } } | undefined)?.cause?.code).toBe('LEVEL_LOCKED') // classic-level's error kept as the cause
    await first.close()
    opened.splice(0)
    const again = await openStore(dir)
    opened.push(again)
    await again.put('k', new Uint8Array([1]))
    expect([...(await again.get('k')) ?? []]).toEqual([1])
  })
})
