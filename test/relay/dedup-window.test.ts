import { describe, it, expect } from 'vitest'
import { DedupWindow, idKey } from '../../src/relay/dedup-window.js'

describe('DedupWindow', () => {
  it('add returns true for a new id and false for a duplicate', () => {
    const w = new DedupWindow()
    expect(w.add('a')).toBe(true)
    expect(w.add('a')).toBe(false)
    expect(w.has('a')).toBe(true)
    expect(w.size).toBe(1)
  })

  it('keeps the value of the first add on a duplicate add', () => {
    const w = new DedupWindow<number>()
    w.add('a', 1)
    w.add('a', 2)
    expect(w.get('a')).toBe(1)
  })

  it('evicts the oldest id once capacity is passed, so it counts as new again', () => {
    const w = new DedupWindow(3)
    for (const k of ['a', 'b', 'c', 'd']) w.add(k)
    expect(w.size).toBe(3)
    expect(w.has('a')).toBe(false)
    expect(w.has('b')).toBe(true)
    expect(w.add('a')).toBe(true)
    expect(w.has('b')).toBe(false)
  })

  it('stays bounded by capacity whatever is added', () => {
    const w = new DedupWindow(100)
    for (let i = 0; i < 10_000; i++) w.add(String(i))
    expect(w.size).toBe(100)
    expect(w.has('9999')).toBe(true)
    expect(w.has('9899')).toBe(false)
  })

  it('set overwrites the value of a known id without refreshing its age, and adds an unknown one', () => {
    const w = new DedupWindow<number>(2)
    w.set('a', 1)
    w.add('b', 2)
    w.set('a', 10)
    expect(w.get('a')).toBe(10)
    w.add('c', 3)
    expect(w.has('a')).toBe(false)
    expect(w.get('b')).toBe(2)
  })
})

describe('DedupWindow with maxAgeMs', () => {
  it('forgets ids older than the window at the next addition, and keeps the younger ones', () => {
    let now = 0
    const w = new DedupWindow<number>(1000, { maxAgeMs: 10_000, now: () => now })
    for (let i = 0; i < 5; i++) w.add(`old${i}`, i)
    now = 6_000
    for (let i = 0; i < 5; i++) w.add(`young${i}`, i)
    expect(w.size).toBe(10)
    now = 12_000
    w.add('new', 0)
    expect(w.has('old0')).toBe(false)
    expect(w.has('old4')).toBe(false)
    expect(w.has('young0')).toBe(true)
    expect(w.add('old0', 9)).toBe(true) // forgotten: new again
    now = 20_000
    w.add('later', 0)
    expect(w.has('young4')).toBe(false)
    expect(w.has('new')).toBe(true)
  })

  it('stays right when the capacity evicted past the marks already', () => {
    let now = 0
    const w = new DedupWindow(3, { maxAgeMs: 5_000, now: () => now })
    for (let i = 0; i < 10; i++) { w.add(`a${i}`); now += 100 }
    expect(w.size).toBe(3)
    now = 10_000
    w.add('b')
    expect(w.size).toBe(1)
    expect(w.has('b')).toBe(true)
  })
})

describe('idKey', () => {
  it('maps equal ids to equal keys and different ids to different keys', () => {
    expect(idKey(new Uint8Array([1, 2, 255]))).toBe(idKey(new Uint8Array([1, 2, 255])))
    expect(idKey(new Uint8Array([1, 2]))).not.toBe(idKey(new Uint8Array([2, 1])))
    expect(idKey(new Uint8Array([0]))).not.toBe(idKey(new Uint8Array([0, 0])))
  })
})
