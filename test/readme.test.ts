/**
 * The README's library section is a program: this test takes the code block from the
 * README as it stands and runs it (tsx maps `slim-mesh` to src/index.ts through
 * tsconfig.json's `paths`, as an installed package maps it to dist/).
 */
import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { promisify } from 'node:util'

const root = fileURLToPath(new URL('../', import.meta.url))
const run = promisify(execFile)

describe('README', () => {
  it('the library section runs as written and prints what its comments say', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('\n## Library\n'))
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    expect(code).toMatch(/from 'slim-mesh'/)
    const file = join(root, `.readme-library-${process.pid}.ts`)
    await writeFile(file, code as string)
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 })
      const lines = stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^acme\/research\/alice\/[a-z2-7]+$/)
      expect(lines[1]).toBe('summary of a long text')
      expect(lines[2]).toMatch(/^1 acme\/research\/alice\/[a-z2-7]+ hello, everyone$/)
      expect(lines[3]).toBe('unicast [ 1, 2, 3 ]')
      expect(lines).toHaveLength(4)
    } finally {
      await rm(file, { force: true })
    }
  }, 90_000)
})
