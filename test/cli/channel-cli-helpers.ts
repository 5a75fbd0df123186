/**
 * What the `slim-mesh channel` tests share: one relay in this process, a directory per
 * agent under one temporary folder, and the commands run as processes against them.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, afterAll } from 'vitest'
import { relay, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { hostPort, killChildren, run, startWith } from './spawn.js'
import type { Result, Running } from './spawn.js'

export interface ChannelCli {
  /** The relay's host:port. */
  readonly at: string
  /** The folder the agents' data directories are under. */
  readonly dirs: string
  /** One channel command of the agent in `dir`, run to its end. */
  channel: (dir: string, ...a: string[]) => Promise<Result>
  /** A long-running channel command of the agent in `dir`. */
  start: (dir: string, ...a: string[]) => Running
  /** The first line of its standard error that starts with `prefix` (waits for it). */
  line: (p: Running, prefix: string, what: string) => Promise<string>
}

/** Starts a relay before the file's tests and stops it (and every process) after. */
export function channelCli (prefix: string): ChannelCli {
  let r: Relay | undefined
  const cli = {
    at: '',
    dirs: '',
    channel: async (dir: string, ...a: string[]): Promise<Result> => await run(['channel', ...a, '--relay', cli.at, '--data-dir', join(cli.dirs, dir)]),
    start: (dir: string, ...a: string[]): Running => startWith(['channel', ...a, '--relay', cli.at, '--data-dir', join(cli.dirs, dir)]),
    line: async (p: Running, prefix: string, what: string): Promise<string> => {
      await waitFor(() => p.err.some(l => l.startsWith(prefix)) || p.child.exitCode != null, what, 90_000)
      const found = p.err.find(l => l.startsWith(prefix))
      if (found == null) throw new Error(`${what}: exited ${String(p.child.exitCode)}; printed ${JSON.stringify(p.out)} / ${JSON.stringify(p.err)}`)
      return found
    }
  }
  beforeAll(async () => {
    r = await relay()
    cli.at = hostPort(r.multiaddrs[0] as string)
    cli.dirs = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    killChildren()
    await r?.stop()
    await rm(cli.dirs, { recursive: true, force: true })
  })
  return cli
}

/** The result, if it exited 0 (else an error with its standard error). */
export function ok (res: Result): Result {
  if (res.code !== 0) throw new Error(`exit ${String(res.code)}: ${res.stderr}`)
  return res
}

export const lines = (s: string): string[] => s.split('\n').filter(l => l !== '')
