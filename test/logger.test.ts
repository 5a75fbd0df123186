/**
 * The process-wide logger: silent by default (a library must not print into an agent's
 * process), levels and formats once configured, and the old `log(msg, ...args)` calls.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { configureLogging, createLogger, logLevel, textLine } from '../src/logger.js'

const lines: string[] = []
const capture = { write: (line: string) => { lines.push(line) } }

afterEach(() => {
  configureLogging({ level: 'silent', destination: capture })
  lines.length = 0
})

describe('logger', () => {
  it('writes nothing until configured, at any level', () => {
    // Before any configureLogging in this process (vitest runs each file in its own).
    expect(logLevel()).toBe('silent')
    const log = createLogger('slim:test:quiet')
    const stderr = process.stderr.write
    const written: unknown[] = []
    process.stderr.write = ((chunk: unknown) => { written.push(chunk); return true }) as typeof process.stderr.write
    try {
      log('debug %s', 'x'); log.info('info'); log.warn('warn'); log.error('error')
    } finally {
      process.stderr.write = stderr
    }
    expect(written).toEqual([])
    expect(log.enabled('error')).toBe(false)
  })

  it('once configured, writes JSON lines at and above the level, with the component as a field', () => {
    const log = createLogger('slim:relay:core') // made before configuring: it follows the new settings
    configureLogging({ level: 'info', format: 'json', destination: capture })
    log('per-message detail %d', 1)
    log.trace('even finer')
    log.info({ agent: 'acme/demo/echo', session: 'ab12' }, 'agent attached')
    log.warn('cut %s: %s', 'acme/x/y', 'bad frame')
    expect(lines).toHaveLength(2)
    const [info, warn] = lines.map(l => JSON.parse(l) as Record<string, unknown>)
    expect(info).toMatchObject({ level: 'info', component: 'slim:relay:core', agent: 'acme/demo/echo', session: 'ab12', msg: 'agent attached' })
    expect(typeof info?.time).toBe('string')
    expect(warn).toMatchObject({ level: 'warn', msg: 'cut acme/x/y: bad frame' })
  })

  it('calling the logger itself logs at debug level (the signature the relay core uses)', () => {
    configureLogging({ level: 'debug', format: 'json', destination: capture })
    createLogger('slim:test')('dropped %d frames for %s', 3, 'acme/a/b')
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'debug', msg: 'dropped 3 frames for acme/a/b' })
  })

  it('text format: one line of time, level, component, message and fields', () => {
    configureLogging({ level: 'info', format: 'text', destination: capture })
    createLogger('slim:relay:abc123').info({ peer: '12D3KooW', reason: 'stream closed' }, 'link down')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}slim:relay:abc123 link down peer=12D3KooW reason="stream closed"\n$/)
  })

  it('text format shows an error field by its message, not its stack', () => {
    const line = textLine(JSON.stringify({ level: 'warn', time: 't', component: 'c', msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } }))
    expect(line).toBe('t WARN  c failed err="boom"\n')
  })

  it('silent turns every level off again', () => {
    const log = createLogger('slim:test')
    configureLogging({ level: 'error', format: 'json', destination: capture })
    log.error('one')
    configureLogging({ level: 'silent', destination: capture })
    log.error('two')
    expect(lines.map(l => (JSON.parse(l) as { msg: string }).msg)).toEqual(['one'])
  })

  it('refuses a level it does not know, naming the known ones', () => {
    expect(() => { configureLogging({ level: 'loud' as never }) }).toThrow(/log level "loud" is not one of trace, debug, info, warn, error, silent/)
  })
})
