/**
 * Sequencer leases as a relay sees them. Where a controller runs the mesh, it grants
 * each multicast name's lease: the relay that numbers the name (the holder), the term
 * it numbers under, and the replica relays that keep copies of its archive
 * (src/control/lease-book.ts). A relay claims a lease the first time it needs a
 * sequencer for a name, and hears of every change to a lease it holds or held.
 *
 * Without a controller there are no leases: the earliest claim wins, as before
 * (src/relay/forwarding-table.ts, `sequencerOf`), and nothing is replicated.
 */

import type { SequencerLease } from '../machines/sequencer-lease.machine.js'

export type { SequencerLease } from '../machines/sequencer-lease.machine.js'

export interface LeaseAuthority {
  /** The name's lease, granted to this relay if nobody holds it. */
  claim: (name: string) => Promise<SequencerLease>
  /** The holder's word that `replica` holds everything acknowledged under `term`. */
  caughtUp: (name: string, term: number, replica: string) => Promise<void>
  /** Calls `listener` with each change to a lease this relay holds or held. */
  onChange: (listener: (lease: SequencerLease) => void) => void
}
