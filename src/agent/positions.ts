/**
 * Where an agent keeps the position of each subscription (the next multicast sequence
 * number it is owed) across restarts: `sub/<name>` in its store, the sequence number as
 * decimal text. The agent core (./agent-core.ts) loads a position when a subscription
 * starts without `fromSeq`, and saves them shortly after deliveries move them.
 */
import type { Store } from '../store/store.js'

export interface PositionStore {
  /** The saved position of the subscription to `name`, if any. */
  load: (name: string) => Promise<number | undefined>
  /** Saves a position; absent when positions are not kept (no data directory). */
  save?: (name: string, position: number) => Promise<void>
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Positions in `store`; saved only if `persist` (the agent has a data directory). */
export function storePositions (store: Store, persist: boolean): PositionStore {
  const positions: PositionStore = {
    load: async (name) => {
      const saved = await store.get(`sub/${name}`)
      return saved == null ? undefined : Number(dec.decode(saved))
    }
  }
  if (persist) positions.save = async (name, position) => { await store.put(`sub/${name}`, enc.encode(String(position))) }
  return positions
}
