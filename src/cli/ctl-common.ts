/** What every `slim-mesh ctl` subcommand shares: the operator client from the globals, a subcommand that prints the API's answer (or its JSON), and formatting. */
import type { Command } from 'commander'
import { readCredentials } from '../trust/credentials-file.js'
import { operatorClient } from '../control/operator-client.js'
import type { OperatorClient } from '../control/operator-client.js'
import { DEFAULT_CONTROLLER_LISTEN } from '../control/controller.js'
import { UsageError } from './errors.js'

interface CtlGlobals { controller?: string, credentials?: string, json?: boolean }

async function client (cmd: Command): Promise<{ ctl: OperatorClient, json: boolean }> {
  const o = cmd.optsWithGlobals<CtlGlobals>()
  const url = o.controller ?? process.env.SLIM_MESH_CONTROLLER ?? `http://${DEFAULT_CONTROLLER_LISTEN}`
  const file = o.credentials ?? process.env.SLIM_MESH_CTL_CREDENTIALS
  if (file == null) throw new UsageError('say which admin credential to use: --credentials FILE (the admin.creds in the controller\'s data directory) or SLIM_MESH_CTL_CREDENTIALS')
  return { ctl: await operatorClient(url, await readCredentials(file)), json: o.json === true }
}

/** A subcommand that asks the API and prints the answer (as JSON with --json, else with `show`). */
export function action<T> (run: (ctl: OperatorClient, args: string[], opts: Record<string, unknown>) => Promise<T>, show: (out: T) => void) {
  return async function (this: Command, ...args: unknown[]): Promise<void> {
    const cmd = this
    const { ctl, json } = await client(cmd)
    const out = await run(ctl, args.filter(a => typeof a === 'string'), cmd.opts())
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n')
    else show(out)
  }
}

export const ago = (ms?: number): string => ms == null ? '-' : `${((Date.now() - ms) / 1000).toFixed(1)}s ago`
export const short = (id: string): string => id.length > 16 ? `${id.slice(0, 8)}..${id.slice(-6)}` : id
export const when = (ms?: number): string => ms == null ? '-' : new Date(ms).toISOString()

export function sub (parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).option('--json', 'print the API\'s JSON')
}

