/** `host:port` (or `[v6]:port`) as the control plane's listen options write it. */
import { InvalidAddressError } from '../names/errors.js'

export function hostPort (value: string, what: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || !(port >= 0 && port <= 65535)) throw new InvalidAddressError(`${what} "${value}" is not host:port (for example 127.0.0.1:7460)`)
  return { host: (m[1] ?? m[2]) as string, port }
}
