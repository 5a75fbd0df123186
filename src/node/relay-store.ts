/**
 * The relay's store: the embedded store under its data directory (or in memory), kept
 * within each name's retention (src/store/retention.ts). The limits are the relay's own
 * (`RelayOptions.retention`, default 7 days and 1 GiB per name) unless a controller's
 * per-name policy says otherwise, field by field; age limits are swept every `sweepMs`.
 */
import { openStore } from '../store/level-store.js'
import { RetainedStore } from '../store/retention.js'
import type { RetentionPolicy } from '../store/retention.js'
import type { RelayOptions } from './relay-types.js'

export const DEFAULT_RETENTION = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 1024 * 1024 * 1024, maxMessages: 0, sweepMs: 10_000 }

export interface RelayStore {
  store: RetainedStore
  /** Starts the sweeps of age limits. */
  start: () => void
  /** Stops them (the store is closed by whoever closes the relay). */
  stop: () => void
}

/**
 * Opens the relay's store; `override(name)` gives a controller's per-name retention, read
 * at each check (so a new policy applies to what comes next).
 */
export async function openRelayStore (options: Pick<RelayOptions, 'dataDir' | 'retention'>, override: (name: string) => RetentionPolicy | undefined): Promise<RelayStore> {
  const own = { ...DEFAULT_RETENTION, ...options.retention }
  const base = limits(own)
  const store = new RetainedStore(await openStore(options.dataDir), {
    policyOf: (name) => {
      const o = override(name)
      return o == null ? base : { ...base, ...o }
    }
  })
  let timer: ReturnType<typeof setInterval> | undefined
  let sweeping = false
  return {
    store,
    start: () => {
      timer ??= setInterval(() => {
        if (sweeping) return
        sweeping = true
        void store.sweep().catch(() => {}).finally(() => { sweeping = false })
      }, own.sweepMs)
      timer.unref?.()
    },
    stop: () => { if (timer != null) clearInterval(timer); timer = undefined }
  }
}

/** The limits that are set (0: none). */
function limits (r: { maxAgeMs: number, maxBytes: number, maxMessages: number }): RetentionPolicy {
  return {
    ...(r.maxAgeMs > 0 ? { maxAgeMs: r.maxAgeMs } : {}),
    ...(r.maxBytes > 0 ? { maxBytes: r.maxBytes } : {}),
    ...(r.maxMessages > 0 ? { maxMessages: r.maxMessages } : {})
  }
}
