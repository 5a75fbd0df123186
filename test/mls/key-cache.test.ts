import { describe, it, expect } from 'vitest'
import { KeyObjectCache, LruCache } from '../../src/mls/key-cache.js'

describe('LruCache', () => {
  it('evicts the least recently used entry once over its bound', () => {
    const c = new LruCache<string, number>(2)
    c.set('a', 1)
    c.set('b', 2)
    expect(c.get('a')).toBe(1) // a is now the most recent
    c.set('c', 3)
    expect(c.get('b')).toBeUndefined()
    expect(c.get('a')).toBe(1)
    expect(c.get('c')).toBe(3)
    expect(c.size).toBe(2)
  })

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow(RangeError)
  })
})

describe('KeyObjectCache', () => {
  it('imports each key once, by identity or by content, and again after a change in place', () => {
    let imports = 0
    const cache = new KeyObjectCache<string>(8, b => Buffer.from(b).toString('hex'))
    const make = (b: Uint8Array): string => { imports++; return `key-${Buffer.from(b).toString('hex')}` }
    const bytes = new Uint8Array([1, 2, 3])
    expect(cache.get(bytes, make)).toBe('key-010203')
    expect(cache.get(bytes, make)).toBe('key-010203')
    expect(cache.get(new Uint8Array([1, 2, 3]), make)).toBe('key-010203')
    expect(imports).toBe(1)
    bytes[0] = 9
    expect(cache.get(bytes, make)).toBe('key-090203')
    expect(imports).toBe(2)
    cache.clear()
    expect(cache.get(bytes, make)).toBe('key-090203')
    expect(imports).toBe(3)
  })
})
