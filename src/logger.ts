/**
 * Logging: one logger per component (`slim:relay:<id>`), written by pino.
 *
 * A library must not print into an agent's process, so nothing is written until
 * `configureLogging` is called (the `slim-mesh` command line calls it), except what
 * `DEBUG` names: `DEBUG=slim:*` shows every component's lines through the `debug`
 * package, as libp2p's loggers do with the same variable.
 *
 * ```ts
 * const log = createLogger('slim:relay:core')
 * log('per-message detail %s', id)                 // debug level (the old signature)
 * log.info({ agent: name, session: id }, 'agent attached')
 * configureLogging({ level: 'info', format: 'json' }) // process-wide
 * ```
 *
 * A disabled line costs one comparison (and a look at `DEBUG`): the relay core and
 * the simulator call the loggers on hot paths.
 */
import { pino } from 'pino'
import type { Logger as Pino } from 'pino'
import { logger as debugLogger } from '@libp2p/logger'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]
export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = typeof LOG_FORMATS[number]

/** Writes one printf-style line (`%s %d %j %o`), optionally with fields first. */
export interface LogFn {
  (msg: string, ...args: unknown[]): void
  (fields: Record<string, unknown>, msg: string, ...args: unknown[]): void
}

/** A component's logger; calling it logs at debug level. */
export interface Logger extends LogFn {
  readonly component: string
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  /** Whether a line at `level` would be written now (to skip building costly arguments). */
  enabled: (level: Exclude<LogLevel, 'silent'>) => boolean
}

export interface LoggingOptions {
  /** The least severe level written; default `info`. */
  level?: LogLevel
  /** `text`: one human line (time level component message fields); `json`: pino's JSON lines. Default `text`. */
  format?: LogFormat
  /** Where lines go; default standard error. */
  destination?: { write: (line: string) => void }
}

type Method = Exclude<LogLevel, 'silent'>

const VALUE: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: Infinity }
const LABEL: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/** Lines below this level are not written by pino (silent until configured). */
let threshold = Infinity
let root: Pino | undefined
/** Bumped by every `configureLogging`, so component loggers rebuild their pino child. */
let generation = 0

/**
 * Sets the level, format and destination for every logger in the process, including
 * those made before.
 */
export function configureLogging (options: LoggingOptions = {}): void {
  const level = options.level ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new TypeError(`log level "${String(level)}" is not one of ${LOG_LEVELS.join(', ')}`)
  const format = options.format ?? 'text'
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new TypeError(`log format "${String(format)}" is not one of ${LOG_FORMATS.join(', ')}`)
  const out = options.destination ?? { write: (line: string) => { process.stderr.write(line) } }
  const destination = format === 'json' ? out : { write: (line: string) => { out.write(textLine(line)) } }
  root = pino({
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) }
  }, destination)
  threshold = VALUE[level]
  generation++
}

/** The configured level, or `silent` before `configureLogging`. */
export function logLevel (): LogLevel {
  return (Object.keys(VALUE) as LogLevel[]).find(l => VALUE[l] === threshold) ?? 'silent'
}

export function createLogger (component: string): Logger {
  // Still honours DEBUG=slim:* (libp2p's convention): what pino does not write, debug may
  // (trace only when DEBUG names `<component>:trace`, as with libp2p). Read once, as
  // libp2p's loggers do: a disabled line then costs one comparison.
  const dbg = debugLogger(component)
  let child: Pino | undefined
  let built = -1
  const at = (method: Method): LogFn => {
    const value = VALUE[method]
    const fallback = method === 'trace' ? dbg.trace : dbg
    const fallbackOn = isOn(fallback)
    const prefix = method === 'debug' || method === 'trace' ? '' : `${method}: `
    return (a: unknown, ...rest: unknown[]) => {
      if (value < threshold && !fallbackOn) return
      if (value >= threshold && root != null) {
        if (built !== generation) { child = root.child({ component }); built = generation }
        ;(child as Pino)[method](a as never, ...rest as never[])
      } else if (typeof a === 'string') {
        fallback(prefix + a, ...rest)
      } else {
        fallback(`${prefix}${String(rest[0])} %o`, ...rest.slice(1), a)
      }
    }
  }
  const debug = at('debug')
  const on = { trace: isOn(dbg.trace), debug: isOn(dbg), info: isOn(dbg), warn: isOn(dbg), error: isOn(dbg) }
  // A fresh function for the logger itself, so that assigning its methods leaves `debug` alone.
  return Object.assign(at('debug'), {
    component,
    trace: at('trace'),
    debug,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    enabled: (level: Method) => VALUE[level] >= threshold || on[level]
  }) as Logger
}

const isOn = (f: unknown): boolean => (f as { enabled?: boolean }).enabled === true

/** A logger that never writes (the default where none is given). */
export const silentLogger: Logger = Object.assign(() => {}, {
  component: 'silent',
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  enabled: () => false
}) as Logger

const OMIT = new Set(['level', 'time', 'component', 'msg', 'pid', 'hostname'])

/** One of pino's JSON lines as `2026-05-01T10:00:00.000Z INFO  slim:relay:abc123 agent attached agent=… session=…`. */
export function textLine (json: string): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json // not a pino line (a stray write): shown as it came
  }
  const level = typeof o.level === 'string' ? o.level.toUpperCase() : LABEL[o.level as number] ?? String(o.level)
  let line = `${String(o.time ?? '')} ${level.padEnd(5)} ${String(o.component ?? '-')} ${String(o.msg ?? '')}`
  for (const [k, v] of Object.entries(o)) {
    if (OMIT.has(k) || v === undefined) continue
    line += ` ${k}=${fieldText(v)}`
  }
  return `${line}\n`
}

function fieldText (v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v
  if (v != null && typeof v === 'object' && 'message' in v && 'type' in v) return JSON.stringify((v as { message: unknown }).message)
  return JSON.stringify(v)
}
