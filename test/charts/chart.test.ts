import { describe, it, expect } from 'vitest'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { MACHINES } from '../../src/charts/machines.js'
import { chartOf, toMermaid } from '../../src/charts/chart.js'
import { chartsBlock, withCurrentCharts } from '../../src/charts/architecture-doc.js'
import { peerLinkMachine } from '../../src/machines/peer-link.machine.js'
import { sequencerMachine } from '../../src/machines/sequencer.machine.js'

describe('state charts', () => {
  it('charts every machine with its states, initial state and final states', () => {
    for (const m of MACHINES) {
      const c = chartOf(m.machine)
      expect(c.states.length).toBeGreaterThan(1)
      expect(c.states.map(s => s.id)).toContain(c.initial)
      const text = toMermaid(m.machine)
      expect(text.startsWith('stateDiagram-v2\n')).toBe(true)
      expect(text).toContain(`[*] --> ${c.initial}`)
      for (const s of c.states.filter(s => s.final)) expect(text).toContain(`${s.id.replace(/\./g, '_')} --> [*]`)
    }
  })

  it('labels delays, invoked results, guards and eventless transitions readably', () => {
    const link = toMermaid(peerLinkMachine)
    expect(link).toContain('backoff --> dialing : after BACKOFF [isDialable]')
    expect(link).toContain('dialing --> admitting : done')
    expect(link).toContain('connected_probing --> connected_degraded : error')
    expect(link).toContain('connected_degraded --> backoff : always [isFailingTooOften]')
    expect(link).toContain('note right of closed : from any state, link.close')
    expect(toMermaid(sequencerMachine)).toContain('draining --> stopped : always [isNothingInFlight]')
  })

  it('docs/ARCHITECTURE.md carries the current charts (run `npm run charts` when this fails)', async () => {
    const path = fileURLToPath(new URL('../../docs/ARCHITECTURE.md', import.meta.url))
    const doc = await readFile(path, 'utf8')
    expect(doc).toContain(chartsBlock())
    expect(withCurrentCharts(doc)).toBe(doc)
  })

  it('a changed machine makes the document out of date', () => {
    const block = chartsBlock()
    const altered = block.replace('after BACKOFF', 'after SOMETHING_ELSE')
    expect(altered).not.toBe(block)
    expect(withCurrentCharts(`x\n${altered}\ny`)).toBe(`x\n${block}\ny`)
  })
})
