/**
 * The channels an agent keeps in its data directory (./records.ts): the ones
 * `joinChannel` restores at once, without waiting for a Welcome. A channel that ended
 * (closed, left, or this member removed) is no longer saved.
 *
 * `listSavedChannels(store)` reads them from an agent's store (`agent.savedChannels()`
 * is that for a connected agent); `savedChannelsIn(dir)` opens a data directory that no
 * running agent holds, reads them and closes it (the command line's `channel list`).
 */
import type { Store } from '../store/store.js'
import { LevelStore } from '../store/level-store.js'
import { decodeRecord, recordKey } from './records.js'

/** What a saved channel record says without opening its MLS state. */
export interface SavedChannel {
  name: string
  /** The MLS cipher suite. */
  suite: string
  /** The last sequence number the saved state reflects. */
  seq: number
  /** The sequencer's epoch count at `seq` (the MLS epoch, unless a commit was refused by every member). */
  wireEpoch: number
}

const PREFIX = recordKey('')

/** The channels saved in `store`, by name. A record that does not decode is reported as a `CorruptChannelStateError`. */
export async function listSavedChannels (store: Pick<Store, 'list'>): Promise<SavedChannel[]> {
  const out: SavedChannel[] = []
  for (const [key, bytes] of await store.list(PREFIX)) {
    const name = key.slice(PREFIX.length)
    const r = decodeRecord(bytes, name)
    out.push({ name, suite: r.suite, seq: r.position, wireEpoch: r.wireEpoch })
  }
  return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/**
 * The channels saved in the data directory `dir` (opened and closed again; a
 * `DataDirInUseError` while an agent runs on it).
 */
export async function savedChannelsIn (dir: string): Promise<SavedChannel[]> {
  const store = await LevelStore.open(dir)
  try {
    return await listSavedChannels(store)
  } finally {
    await store.close()
  }
}
