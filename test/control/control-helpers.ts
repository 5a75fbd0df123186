/** What the control-plane tests share: a relay joined to a controller by token, and "in sync". */
import type { Controller } from '../../src/control/controller.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay, RelayOptions } from '../../src/node/relay-node.js'
import { FAST } from '../helpers.js'

/** A relay (test timings) that joins `controller` with a fresh token; `cleanup` gets it to stop. */
export async function joinRelay (controller: Controller, cleanup: Array<{ stop?: () => unknown }>, opts: Partial<RelayOptions> = {}): Promise<Relay> {
  const { token } = await controller.createJoinToken()
  const r = await createRelay({ ...FAST, ...opts, control: { url: controller.url, joinToken: token } })
  cleanup.push(r)
  return r
}

/** Every relay runs the controller's generation with every item applied. */
export const inSync = (controller: Controller, relays: Relay[]): boolean =>
  relays.every(r => r.control?.generation === controller.state().state.generation && r.control.items().every(i => i.status === 'applied'))
