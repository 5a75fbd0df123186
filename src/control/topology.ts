// placeholder until the topology manager lands (replaced at merge)
import type { LinkHealth, LinkPair, RelayView, TopologySpec } from './types.js'
export function planLinks (relays: RelayView[], spec: TopologySpec, _options: { health?: LinkHealth[], current?: LinkPair[] } = {}): LinkPair[] {
  const up = relays.filter(r => r.up).sort((a, b) => a.order - b.order).map(r => r.peerId)
  const out: LinkPair[] = []
  const add = (a: string, b: string): void => { out.push(a < b ? [a, b] : [b, a]) }
  if (spec.kind === 'line') for (let i = 1; i < up.length; i++) add(up[i - 1] as string, up[i] as string)
  else if (spec.kind === 'star') for (let i = 1; i < up.length; i++) add(up[0] as string, up[i] as string)
  else for (let i = 0; i < up.length; i++) for (let j = i + 1; j < up.length; j++) add(up[i] as string, up[j] as string)
  return out.sort((x, y) => (x[0] + x[1]).localeCompare(y[0] + y[1]))
}
