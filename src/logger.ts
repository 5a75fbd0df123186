/**
 * A logger per component (`slim:relay:<id>`), off unless `DEBUG` names it, in the
 * style of libp2p's loggers (which use the same `DEBUG` variable).
 */
import { logger } from '@libp2p/logger'

export function createLogger (name: string): (msg: string, ...args: unknown[]) => void {
  const log = logger(name)
  return (msg, ...args) => { log(msg, ...args) }
}
