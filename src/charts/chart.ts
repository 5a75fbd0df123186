/**
 * State charts of the machines, from XState's own definition walked by @xstate/graph:
 * mermaid `stateDiagram-v2` for docs and terminals, or JSON for tools.
 */
import { toDirectedGraph } from '@xstate/graph'
import type { AnyStateMachine } from 'xstate'

export interface ChartTransition { from: string, to: string, event: string, guard?: string }
export interface ChartState { id: string, parent?: string, initial?: string, final: boolean }
export interface Chart { id: string, initial: string, states: ChartState[], transitions: ChartTransition[], anyState: ChartTransition[] }

type GraphNode = ReturnType<typeof toDirectedGraph>

/** Names XState gives internal events, made readable: `done`, `error`, `after DELAY`, `always`. */
function eventLabel (type: string): string {
  if (type === '') return 'always'
  if (type.startsWith('xstate.done.actor.')) return 'done'
  if (type.startsWith('xstate.error.actor.')) return 'error'
  const after = /^xstate\.after\.([^.]+)\./.exec(type)
  if (after != null) return `after ${after[1] ?? ''}`
  return type
}

function guardName (t: { guard?: unknown }): string | undefined {
  const g = t.guard as { type?: string } | string | undefined
  if (g == null) return undefined
  return typeof g === 'string' ? g : g.type
}

export function chartOf (machine: AnyStateMachine): Chart {
  const root = toDirectedGraph(machine)
  const states: ChartState[] = []
  const transitions: ChartTransition[] = []
  const anyState: ChartTransition[] = []
  const seen = new Set<string>()
  const local = (id: string): string => id.slice(machine.id.length + 1)
  const walk = (node: GraphNode, parent?: string): void => {
    const id = local(node.id)
    const sn = node.stateNode as unknown as { type: string, initial?: { target?: Array<{ key: string }> } }
    if (id !== '') states.push({ id, parent, initial: sn.initial?.target?.[0]?.key, final: sn.type === 'final' })
    for (const e of node.edges) {
      const t: ChartTransition = { from: id, to: local(e.target.id), event: eventLabel(e.label.text), guard: guardName(e.transition as { guard?: unknown }) }
      const key = `${t.from}|${t.to}|${t.event}|${t.guard ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      if (id === '') anyState.push(t)
      else transitions.push(t)
    }
    // @xstate/graph leaves out eventless transitions; they are on the state node.
    const always = (node.stateNode as unknown as { always?: Array<{ target?: Array<{ id: string }>, guard?: unknown }> }).always ?? []
    for (const a of always) {
      for (const target of a.target ?? []) {
        const t: ChartTransition = { from: id, to: local(target.id), event: 'always', guard: guardName(a) }
        const key = `${t.from}|${t.to}|always|${t.guard ?? ''}`
        if (!seen.has(key)) { seen.add(key); transitions.push(t) }
      }
    }
    for (const c of node.children) walk(c, id === '' ? undefined : id)
  }
  walk(root)
  const initial = (machine.root as unknown as { initial?: { target?: Array<{ key: string }> } }).initial?.target?.[0]?.key ?? ''
  return { id: machine.id, initial, states, transitions, anyState }
}

const mid = (id: string): string => id.replace(/\./g, '_')

/** A mermaid `stateDiagram-v2` of the machine. */
export function toMermaid (machine: AnyStateMachine): string {
  const c = chartOf(machine)
  const lines = ['stateDiagram-v2']
  const render = (parent: string | undefined, indent: string, initial: string | undefined): void => {
    const prefix = parent == null ? '' : `${parent}.`
    if (initial != null && initial !== '') lines.push(`${indent}[*] --> ${mid(prefix + initial)}`)
    for (const s of c.states.filter(s => s.parent === parent)) {
      const children = c.states.filter(x => x.parent === s.id)
      if (children.length > 0) {
        lines.push(`${indent}state ${mid(s.id)} {`)
        render(s.id, indent + '  ', s.initial)
        lines.push(`${indent}}`)
      }
      if (s.final) lines.push(`${indent}${mid(s.id)} --> [*]`)
    }
  }
  render(undefined, '  ', c.initial)
  for (const t of c.transitions) {
    lines.push(`  ${mid(t.from)} --> ${mid(t.to)} : ${t.event}${t.guard != null ? ` [${t.guard}]` : ''}`)
  }
  for (const t of c.anyState) {
    // A transition of the root without a target changes no state: noted on the initial state.
    if (t.to === '') lines.push(`  note right of ${mid(c.initial)} : in any state, ${t.event}${t.guard != null ? ` [${t.guard}]` : ''} (no change of state)`)
    else lines.push(`  note right of ${mid(t.to)} : from any state, ${t.event}${t.guard != null ? ` [${t.guard}]` : ''}`)
  }
  return lines.join('\n')
}
