/** RelayCounters (src/relay/counters.ts): the per-agent and per-peer counts stay bounded. */
import { describe, it, expect } from 'vitest'
import { RelayCounters } from '../../src/relay/counters.js'

describe('RelayCounters', () => {
  it('counts messages in by mode and per agent, and lists the busiest publishers first', () => {
    const c = new RelayCounters()
    for (let i = 0; i < 3; i++) c.messageIn('acme/a/x/1', 'multicast')
    c.messageIn('acme/a/y/1', 'anycast')
    for (let i = 0; i < 5; i++) c.messageIn('acme/a/z/1', 'unicast')
    expect(c.messagesIn).toEqual({ anycast: 1, multicast: 3, unicast: 5 })
    expect(c.busiestPublishers()).toEqual([['acme/a/z/1', 5], ['acme/a/x/1', 3], ['acme/a/y/1', 1]])
    expect(c.busiestPublishers(1)).toEqual([['acme/a/z/1', 5]])
  })

  it('forgets the oldest counted publisher past 10,000, keeping the totals', () => {
    const c = new RelayCounters()
    for (let i = 0; i <= 10_000; i++) c.messageIn(`acme/a/s/${i}`, 'anycast')
    expect(c.messagesIn.anycast).toBe(10_001)
    const counted = new Map(c.busiestPublishers(20_000))
    expect(counted.size).toBe(10_000)
    expect(counted.has('acme/a/s/0')).toBe(false)
    expect(counted.get('acme/a/s/10000')).toBe(1)
  })

  it('counts flaps per peer', () => {
    const c = new RelayCounters()
    c.linkFlapped('p1'); c.linkFlapped('p1'); c.linkFlapped('p2')
    expect(c.flapsOf('p1')).toBe(2)
    expect(c.flapsOf('p2')).toBe(1)
    expect(c.flapsOf('p3')).toBe(0)
  })
})
