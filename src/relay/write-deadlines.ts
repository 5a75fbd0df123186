/**
 * A sender waits for a slow receiver, but not forever: one deadline per backed-up
 * agent port, which cuts that agent as a slow consumer if it reads nothing in time.
 */
import type { Clock } from './clock.js'
import type { AgentPort } from './types.js'

export class WriteDeadlines {
  private readonly deadlines = new Map<AgentPort, Promise<void>>()
  private readonly clock: Clock
  private readonly ms: () => number

  constructor (clock: Clock, ms: () => number) {
    this.clock = clock
    this.ms = ms
  }

  /** Resolves when `port` can take more, or at the deadline, when the agent `name` behind it is cut. */
  wait (port: AgentPort, name: string): Promise<void> {
    let deadline = this.deadlines.get(port)
    if (deadline == null) {
      const ms = this.ms()
      deadline = new Promise<void>(resolve => {
        const timer = this.clock.setTimeout(() => {
          port.cut?.(`${name} read nothing for ${ms} ms while messages waited for it`)
          resolve()
        }, ms)
        void port.whenWritable().then(() => { this.clock.clearTimeout(timer); resolve() })
      }).finally(() => { this.deadlines.delete(port) })
      this.deadlines.set(port, deadline)
    }
    return deadline
  }
}
