/**
 * What relays and agents keep (./store.ts): the archive of sequenced messages per name,
 * channel metadata and small records (identity key, peers, positions). Two engines:
 * `MemoryStore` (no data directory; the latest 65,536 messages per name) and `LevelStore`
 * (LevelDB under a data directory, through classic-level). `openStore(dir)` picks one.
 *
 * ```ts
 * const store = await openStore('./.relay')   // DataDirInUseError if another process holds it
 * await store.append('acme/x/news', [{ seq: 1, bytes }])
 * const page = await store.range('acme/x/news', 1, 256, 2 * 1024 * 1024)
 * ```
 */
export type { Store, KeyValueStore, ChannelMeta, ArchivedMessage, AppendEntry } from './store.js'
export { openStore, LevelStore } from './level-store.js'
export { MemoryStore } from './memory-store.js'
export { DataDirInUseError } from './errors.js'
