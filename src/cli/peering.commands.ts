/**
 * `slim-mesh ctl peering`: peerings with meshes of other owners (docs/FEDERATION.md).
 * Documents go between the two operators by hand: `propose` writes the signed proposal
 * to a file for the other side; it `accept`s that file (received and countersigned: the
 * agreement is in force) and hands the agreement back, which the proposer `accept`s too.
 *
 *   acme$ slim-mesh ctl peering propose --file acme-beta.yaml --out proposal.json
 *   beta$ slim-mesh ctl peering accept --file proposal.json --out agreement.json
 *   acme$ slim-mesh ctl peering accept --file agreement.json
 *   slim-mesh ctl peering identity                    # this mesh's id and key, for the other's draft
 *   slim-mesh ctl peering list | show ID | suspend ID | resume ID | revoke ID | decline ID
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import type { PeeringView } from '../control/peering-book.js'
import { action, short, sub, when } from './ctl-common.js'
import { UsageError } from './errors.js'
import { printTable } from './table.js'

async function readDoc (file: string): Promise<unknown> {
  let text: string
  try { text = await readFile(file, 'utf8') } catch (err) { throw new UsageError(`cannot read ${file}: ${(err as Error).message}`) }
  try { return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text) } catch (err) { throw new UsageError(`${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0] ?? ''}`) }
}

/** Writes the document to hand over (`--out`), or prints where it is. */
async function handOver (v: PeeringView, out: unknown, what: string): Promise<void> {
  if (typeof out === 'string') {
    await writeFile(out, JSON.stringify(v.document, null, 2) + '\n')
    console.error(`${what} written to ${out}: give it to the operator of mesh ${short(v.peer)}`)
  } else {
    console.error(`${what}: \`slim-mesh ctl peering show ${v.id} --json\` prints it (document), or pass --out FILE`)
  }
}

const line = (v: PeeringView): string => `peering ${v.id} with mesh ${short(v.peer)}: ${v.state}, version ${v.version}, signed by ${v.signedBy.map(short).join(' and ')}${v.reason != null ? ` (${v.reason})` : ''}`

export function registerPeeringCommands (ctl: Command): void {
  const peering = ctl.command('peering').description('peerings with meshes of other owners: agreements both authorities sign')
  sub(peering, 'identity', 'this mesh\'s id and authority public key: what the other mesh\'s operator writes as `remote` in a draft')
    .action(action(async c => await c.request<{ mesh: string, authority: unknown }>('GET', '/v1/peerings/identity'), v => { console.log(JSON.stringify(v)) }))
  sub(peering, 'propose', 'propose a peering (or a new version of one being negotiated) from a draft file (YAML or JSON: id, local, remote, limits, expires)')
    .requiredOption('--file <draft>', 'the draft: this mesh\'s side (owns, exports, imports, borders), the other mesh\'s side (with its mesh id and authority key), limits, expires')
    .option('--out <file>', 'write the signed proposal here, for the other side')
    .action(action(async (c, _a, o) => {
      const v = await c.request<PeeringView>('POST', '/v1/peerings', await readDoc(o.file as string))
      await handOver(v, o.out, 'the signed proposal')
      return v
    }, v => { console.log(line(v)) }))
  sub(peering, 'accept', 'accept a peering: --file a document from the other side (a proposal is countersigned; a complete agreement is taken), or the ID of one received')
    .argument('[id]', 'a peering received already')
    .option('--file <document>', 'the proposal or agreement the other side handed over (JSON)')
    .option('--out <file>', 'write the agreement in force here, for the other side')
    .action(action(async (c, [id], o) => {
      if ((id == null) === (o.file == null)) throw new UsageError('say what to accept: --file DOCUMENT (from the other side) or the ID of a peering received')
      let v = o.file != null ? await c.request<PeeringView>('POST', '/v1/peerings/receive', await readDoc(o.file as string)) : await c.request<PeeringView>('GET', `/v1/peerings/${encodeURIComponent(id as string)}`)
      if (!v.state.startsWith('trusted')) v = await c.request<PeeringView>('POST', `/v1/peerings/${encodeURIComponent(v.id)}/accept`)
      await handOver(v, o.out, 'the agreement in force')
      return v
    }, v => { console.log(line(v)) }))
  sub(peering, 'receive', 'take a document from the other side without accepting it (to look at it, then accept, counter with propose, or decline)')
    .requiredOption('--file <document>', 'the proposal or agreement (JSON)')
    .action(action(async (c, _a, o) => await c.request<PeeringView>('POST', '/v1/peerings/receive', await readDoc(o.file as string)), v => { console.log(line(v)) }))
  sub(peering, 'list', 'the peerings: state, version, who signed')
    .action(action(async c => await c.request<PeeringView[]>('GET', '/v1/peerings'), rows => {
      printTable(['id', 'peer mesh', 'state', 'version', 'signed by', 'expires', 'reason'], rows.map(v => [v.id, short(v.peer), v.state, v.version, v.signedBy.map(short).join(' '), when(v.agreement.expires * 1000), v.reason ?? '-']))
    }))
  sub(peering, 'show', 'one peering, with what each side exports and imports').argument('<id>')
    .action(action(async (c, [id]) => await c.request<PeeringView>('GET', `/v1/peerings/${encodeURIComponent(id as string)}`), v => {
      console.log(line(v))
      printTable(['mesh', 'owns', 'exports', 'imports', 'borders'], v.agreement.sides.map(s => [short(s.mesh), s.owns.join(' '), s.exports.map(e => `${e.prefix} (${e.kind})`).join(' ') || '-', s.imports.map(i => i.as != null ? `${i.prefix} as ${i.as}` : i.prefix).join(' ') || '-', s.borders.map(short).join(' ')]))
      const l = v.agreement.limits
      console.log(`limits: ${l.messagesPerSecond} messages/s, ${l.bytesPerSecond} bytes/s, ${l.names} names; expires ${when(v.agreement.expires * 1000)}`)
    }))
  for (const [step, what] of [['decline', 'turn down a proposal'], ['suspend', 'stop a trusted peering\'s traffic, keeping the agreement'], ['resume', 'carry a suspended peering again'], ['revoke', 'end a peering for good']] as const) {
    sub(peering, step, what).argument('<id>')
      .option('--reason <text>', 'why (the other side is told)')
      .action(action(async (c, [id], o) => await c.request<PeeringView>('POST', `/v1/peerings/${encodeURIComponent(id as string)}/${step}`, o.reason != null ? { reason: o.reason } : {}), v => { console.log(line(v)) }))
  }
}
