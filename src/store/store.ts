/**
 * What relays and agents keep: the archive of sequenced messages per name, channel
 * metadata, and small records (identity key, peers, last sequence numbers). Two engines:
 * `MemoryStore` (no data directory) and `LevelStore` (LevelDB under a data directory).
 */

/** What a relay keeps about a multicast name. */
export interface ChannelMeta {
  /** >0 while this relay is the name's sequencer: when it claimed it (ms since epoch). */
  sequencerSince: number
  /** The MLS epoch commits are checked against (sequencer only). */
  epoch: number
  /** The first sequence number held without gaps from here on (non-sequencers). */
  localFrom: number
  /** Non-sequencers: the name's sequencer relay and its claim time, remembered across restarts. */
  sequencer?: string
  sequencerClaim?: number
  /**
   * The channel's roles as its sequencer enforces them (sequencer only; none: the channel
   * named none, and none are enforced): its owner and its admins, by agent name.
   */
  roles?: { owner: string, admins: string[], discovery?: string }
  /**
   * A `GroupClose` closed the name (sequencer only): it takes nothing more until its
   * owner reopens it (src/machines/sequencer.machine.ts). Written with the close itself.
   */
  closed?: boolean
  /** With controller leases: the highest lease term this relay has seen for the name. */
  term?: number
  /** With controller leases: the highest sequence number known acknowledged (held by every replica). */
  committed?: number
  /** With controller leases, while this relay sequences the name: its lease's replicas and grant time. */
  replicas?: string[]
  leaseSince?: number
}

export interface ArchivedMessage {
  seq: number
  bytes: Uint8Array
}

export interface AppendEntry {
  seq: number
  bytes: Uint8Array
}

export interface Store {
  /** Appends sequenced messages (and, in the same atomic write, the name's metadata). */
  append: (name: string, entries: AppendEntry[], meta?: ChannelMeta) => Promise<void>
  /**
   * Up to `limit` messages with `seq >= from`, in order; with `maxBytes`, it stops once
   * that many bytes are read (always returning at least one message if there is one).
   */
  range: (name: string, from: number, limit: number, maxBytes?: number) => Promise<ArchivedMessage[]>
  /** The highest sequence number held for `name`, 0 if none. */
  head: (name: string) => Promise<number>
  /** The lowest sequence number held for `name` (older ones were trimmed); 1 if none is held. */
  first: (name: string) => Promise<number>
  /** Forgets the archived messages of `name` numbered below `before` (the metadata stays). */
  trim: (name: string, before: number) => Promise<void>
  /**
   * Forgets the archived messages of `name` numbered above `after` (a replica dropping
   * what a fenced sequencer never got acknowledged); the metadata stays.
   */
  truncate: (name: string, after: number) => Promise<void>
  /** Forgets every archived message and the metadata of `name`. */
  dropArchive: (name: string) => Promise<void>
  getMeta: (name: string) => Promise<ChannelMeta | undefined>
  putMeta: (name: string, meta: ChannelMeta) => Promise<void>
  listMeta: () => Promise<Array<[string, ChannelMeta]>>
  get: (key: string) => Promise<Uint8Array | undefined>
  put: (key: string, value: Uint8Array) => Promise<void>
  del: (key: string) => Promise<void>
  /** Every record whose key starts with `prefix`. */
  list: (prefix: string) => Promise<Array<[string, Uint8Array]>>
  close: () => Promise<void>
}

/** Sequence numbers as fixed-width hex, so that byte order is numeric order. */
export function seqKey (seq: number): string {
  return seq.toString(16).padStart(14, '0')
}

/**
 * The small records part of a `Store`: all the controller needs (its roster, intent,
 * tokens, signed state, leases). The embedded store has it, and so does the etcd store
 * several controllers share (src/control/etcd-store.ts).
 */
export type KeyValueStore = Pick<Store, 'get' | 'put' | 'del' | 'list' | 'close'>
