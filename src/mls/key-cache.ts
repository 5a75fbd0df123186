import { hash } from 'node:crypto'

/**
 * A bounded least-recently-used map. Turning raw key bytes into a node:crypto KeyObject
 * costs 10-500 us (OpenSSL's decoders), more than the signature itself, so the provider
 * imports each signature key once and keeps the KeyObject here. Bounded so a long-lived
 * process that sees many members (each leaf has its own signature key, RFC 9420 section
 * 7.2) does not grow without limit.
 */
export class LruCache<K, V> {
  readonly #max: number
  readonly #map = new Map<K, V>()

  constructor (max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`cache size ${max} is not a positive integer; use 1 or more`)
    }
    this.#max = max
  }

  get size (): number {
    return this.#map.size
  }

  get (key: K): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  set (key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }

  /** Returns the cached value for `key`, or makes it with `make`, stores and returns it. */
  getOrSet (key: K, make: () => V): V {
    const hit = this.get(key)
    if (hit !== undefined) return hit
    const value = make()
    this.set(key, value)
    return value
  }

  clear (): void {
    this.#map.clear()
  }
}

/**
 * Content id for public key bytes: the bytes themselves (base64), tagged by algorithm so
 * that equal bytes under two algorithms never share an entry.
 */
export function publicKeyId (algorithm: string, key: Uint8Array): string {
  return `${algorithm}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64')}`
}

/**
 * Content id for private key bytes: a SHA-256 fingerprint rather than the secret itself,
 * so the cache's index holds no copy of the key material (only the KeyObject does).
 */
export function privateKeyId (algorithm: string, key: Uint8Array): string {
  return `${algorithm}:${hash('sha256', key, 'base64')}`
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Raw key bytes -> imported key, looked up two ways. ts-mls hands over the same
 * Uint8Array for a member's key on every message (it lives in the group state), so the
 * first lookup is by object identity, checked against a copy of the bytes in case the
 * caller changed them in place (ts-mls zeroes secrets it is done with). A miss falls back
 * to a bounded LRU by content, which also serves states decoded afresh from storage.
 * Identity entries go when the caller's array is garbage collected. One cache serves one
 * algorithm, so the same bytes can never come back as a key of another type.
 */
export class KeyObjectCache<V> {
  #byRef = new WeakMap<Uint8Array, { bytes: Uint8Array, value: V }>()
  readonly #byContent: LruCache<string, V>
  readonly #idOf: (bytes: Uint8Array) => string

  constructor (max: number, idOf: (bytes: Uint8Array) => string) {
    this.#byContent = new LruCache(max)
    this.#idOf = idOf
  }

  get (bytes: Uint8Array, make: (bytes: Uint8Array) => V): V {
    const hit = this.#byRef.get(bytes)
    if (hit !== undefined && sameBytes(hit.bytes, bytes)) return hit.value
    const value = this.#byContent.getOrSet(this.#idOf(bytes), () => make(bytes))
    this.#byRef.set(bytes, { bytes: bytes.slice(), value })
    return value
  }

  /** Records a key made elsewhere (e.g. by keygen) under its bytes. */
  set (bytes: Uint8Array, value: V): void {
    this.#byContent.set(this.#idOf(bytes), value)
    this.#byRef.set(bytes, { bytes: bytes.slice(), value })
  }

  clear (): void {
    this.#byRef = new WeakMap()
    this.#byContent.clear()
  }
}
