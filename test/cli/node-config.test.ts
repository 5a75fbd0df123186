/**
 * `slim-mesh node`'s settings: a YAML or JSON file, SLIM_MESH_* variables and flags,
 * merged flag > environment > file > defaults, every mistake named in one line.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_NODE_SETTINGS, ENV_VARS, loadNodeSettings, parseConfigText, settingsFromEnv } from '../../src/cli/node-config.js'
import { DEFAULT_RELAY_CONFIG } from '../../src/relay/types.js'
import { DEFAULT_TIMINGS } from '../../src/node/relay-node.js'

const dirs: string[] = []
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

async function file (name: string, text: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'slim-mesh-config-'))
  dirs.push(d)
  const path = join(d, name)
  await writeFile(path, text)
  return path
}

const PEER = '12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd'

describe('node config', () => {
  it('reads every kind of setting from YAML', () => {
    const s = parseConfigText([
      'listen: [127.0.0.1:7450, /ip4/0.0.0.0/tcp/7451]',
      `bootstrap: /ip4/10.0.0.2/tcp/7450/p2p/${PEER}`,
      'dataDir: /var/lib/slim-mesh',
      'inMemory: false',
      'inspect: true',
      'log: { level: debug, format: json }',
      'relay:',
      '  writeDeadlineMs: 10000',
      '  awayBufferLimit: 0',
      'timings:',
      '  gracePeriodMs: 60000'
    ].join('\n'), 'relay.yaml')
    expect(s).toEqual({
      listen: ['127.0.0.1:7450', '/ip4/0.0.0.0/tcp/7451'],
      bootstrap: [`/ip4/10.0.0.2/tcp/7450/p2p/${PEER}`],
      dataDir: '/var/lib/slim-mesh',
      inMemory: false,
      inspect: true,
      log: { level: 'debug', format: 'json' },
      relay: { writeDeadlineMs: 10000, awayBufferLimit: 0 },
      timings: { gracePeriodMs: 60000 }
    })
  })

  it('reads the announced addresses from `announce:`, SLIM_MESH_ANNOUNCE or the flag (none by default), and names a bad one', async () => {
    expect(DEFAULT_NODE_SETTINGS.announce).toEqual([])
    expect(parseConfigText('announce: [203.0.113.7:7450, /dns4/relay.example.org/tcp/7450]', 'relay.yaml')).toEqual({ announce: ['203.0.113.7:7450', '/dns4/relay.example.org/tcp/7450'] })
    expect(parseConfigText('announce: 127.0.0.1:7999', 'relay.yaml')).toEqual({ announce: ['127.0.0.1:7999'] })
    expect(settingsFromEnv({ SLIM_MESH_ANNOUNCE: '127.0.0.1:7001, 127.0.0.1:7002' })).toEqual({ announce: ['127.0.0.1:7001', '127.0.0.1:7002'] })
    const path = await file('relay.yaml', 'announce: [127.0.0.1:7001]')
    expect((await loadNodeSettings({ configFile: path, env: {} })).announce).toEqual(['127.0.0.1:7001'])
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_ANNOUNCE: '127.0.0.1:7002' } })).announce).toEqual(['127.0.0.1:7002'])
    expect((await loadNodeSettings({ configFile: path, env: {}, flags: { announce: ['127.0.0.1:7003'] } })).announce).toEqual(['127.0.0.1:7003'])
    expect(() => parseConfigText('announce: [nowhere]', 'relay.yaml')).toThrow(/^relay\.yaml: announce address "nowhere"/)
    expect(() => settingsFromEnv({ SLIM_MESH_ANNOUNCE: 'nowhere' })).toThrow(/^SLIM_MESH_ANNOUNCE: announce address "nowhere"/)
  })

  it('reads the inbound connection limits from a file and from SLIM_MESH_* variables, and names a wrong one', () => {
    expect(parseConfigText('inbound: { maxPendingPerHost: 8, upgradeTimeoutMs: 3000 }', 'relay.yaml')).toEqual({ inbound: { maxPendingPerHost: 8, upgradeTimeoutMs: 3000 } })
    expect(settingsFromEnv({ SLIM_MESH_MAX_PENDING_PER_HOST: '16', SLIM_MESH_MAX_PENDING: '512' })).toEqual({ inbound: { maxPendingPerHost: 16, maxPending: 512 } })
    expect(() => parseConfigText('inbound: { maxPendingPerHost: 0 }', 'config.yaml')).toThrow('config.yaml: inbound.maxPendingPerHost must be a positive integer (connections) (got 0)')
  })

  it('reads JSON by its extension', () => {
    expect(parseConfigText('{ "relay": { "routeTtlMs": 9000 } }', 'relay.json')).toEqual({ relay: { routeTtlMs: 9000 } })
  })

  it('names the file, the key, the rule and the value of a wrong setting', () => {
    expect(() => parseConfigText('relay:\n  writeDeadlineMs: abc\n', 'config.yaml'))
      .toThrow(/^config\.yaml: relay\.writeDeadlineMs must be a positive integer \(milliseconds\) \(got "abc"\)$/)
    expect(() => parseConfigText('timings: { keepaliveMs: 0 }', 'config.yaml')).toThrow('config.yaml: timings.keepaliveMs must be a positive integer (milliseconds) (got 0)')
    expect(() => parseConfigText('log: { level: loud }', 'config.yaml')).toThrow('config.yaml: log.level must be one of trace, debug, info, warn, error, silent (got "loud")')
    expect(() => parseConfigText('inspect: yes please', 'config.yaml')).toThrow('config.yaml: inspect must be true or false (got "yes please")')
    // Past setTimeout's limit a delay fires after 1 ms: refused, not run.
    expect(() => parseConfigText('relay: { routeTtlMs: 3000000000 }', 'config.yaml')).toThrow('config.yaml: relay.routeTtlMs must be at most 2147483647')
  })

  it('refuses an unknown key (a misspelt setting is not ignored) and suggests the near one', () => {
    expect(() => parseConfigText('relay:\n  writeDeadlinMs: 5\n', 'config.yaml'))
      .toThrow(/^config\.yaml: unknown setting "relay\.writeDeadlinMs" \(did you mean "writeDeadlineMs"\?\); known in relay: announceIntervalMs, .*writeDeadlineMs/)
    expect(() => parseConfigText('port: 7450\n', 'config.yaml')).toThrow(/^config\.yaml: unknown setting "port"; known settings: listen, transports, bootstrap, announce, dataDir/)
  })

  it('checks addresses: host:port or a multiaddr to listen on; a bootstrap relay needs its /p2p/<peerId>', () => {
    expect(() => parseConfigText('listen: "not an address"', 'c.yaml')).toThrow('c.yaml: listen address "not an address" is neither host:port nor a multiaddr')
    expect(() => parseConfigText('bootstrap: [127.0.0.1:7450]', 'c.yaml')).toThrow('c.yaml: bootstrap address "127.0.0.1:7450" has no /p2p/<peerId>, so the relay there cannot be linked to')
  })

  it('says where a file is not valid YAML or JSON, in one line', () => {
    const yaml = (() => { try { parseConfigText('relay: [\n', 'c.yaml') } catch (e) { return (e as Error).message } })()
    expect(yaml).toMatch(/^c\.yaml: not valid YAML: .*line \d+, column \d+$/)
    expect(() => parseConfigText('{ "relay": ', 'c.json')).toThrow(/^c\.json: not valid JSON: /)
    expect(() => parseConfigText('- 1\n', 'c.yaml')).toThrow('c.yaml: the file must be a mapping of settings (got [1])')
    expect(parseConfigText('', 'empty.yaml')).toEqual({})
  })

  it('reads SLIM_MESH_* variables: lists comma-separated, numbers and booleans from text', () => {
    expect(settingsFromEnv({
      SLIM_MESH_LISTEN: '127.0.0.1:7450, 127.0.0.1:7451',
      SLIM_MESH_DATA_DIR: '/data',
      SLIM_MESH_IN_MEMORY: 'true',
      SLIM_MESH_LOG_LEVEL: 'warn',
      SLIM_MESH_WRITE_DEADLINE_MS: '2500',
      SLIM_MESH_GRACE_PERIOD_MS: '1000',
      UNRELATED: 'x'
    })).toEqual({
      listen: ['127.0.0.1:7450', '127.0.0.1:7451'],
      dataDir: '/data',
      inMemory: true,
      log: { level: 'warn' },
      relay: { writeDeadlineMs: 2500 },
      timings: { gracePeriodMs: 1000 }
    })
  })

  it('names the variable of a wrong value', () => {
    expect(() => settingsFromEnv({ SLIM_MESH_WRITE_DEADLINE_MS: 'abc' })).toThrow(/^SLIM_MESH_WRITE_DEADLINE_MS must be a positive integer \(milliseconds\) \(got "abc"\)$/)
    expect(() => settingsFromEnv({ SLIM_MESH_INSPECT: 'maybe' })).toThrow('SLIM_MESH_INSPECT must be true or false (got "maybe")')
    expect(() => settingsFromEnv({ SLIM_MESH_LISTEN: 'nowhere' })).toThrow('SLIM_MESH_LISTEN: listen address "nowhere" is neither host:port nor a multiaddr')
  })

  it('reads transports (TCP by default) from a file, SLIM_MESH_TRANSPORTS or flags, and names a transport it does not have', async () => {
    expect(DEFAULT_NODE_SETTINGS.transports).toEqual(['tcp'])
    expect(parseConfigText('transports: [tcp, websockets]\nlisten: [127.0.0.1:7450, /ip4/127.0.0.1/tcp/7451/ws]', 'relay.yaml'))
      .toEqual({ transports: ['tcp', 'websockets'], listen: ['127.0.0.1:7450', '/ip4/127.0.0.1/tcp/7451/ws'] })
    expect(parseConfigText('transports: websockets', 'relay.yaml')).toEqual({ transports: ['websockets'] })
    expect(settingsFromEnv({ SLIM_MESH_TRANSPORTS: 'websockets, tcp' })).toEqual({ transports: ['websockets', 'tcp'] })
    expect(() => parseConfigText('transports: [tcp, quic]', 'relay.yaml')).toThrow(/^relay\.yaml: transports must be tcp or websockets, or a list of them \(got \["tcp","quic"\]\)$/)
    expect(() => parseConfigText('transports: []', 'relay.yaml')).toThrow('relay.yaml: transports must be tcp or websockets, or a list of them (got [])')
    expect(() => settingsFromEnv({ SLIM_MESH_TRANSPORTS: 'tcp,ws' })).toThrow('SLIM_MESH_TRANSPORTS must be tcp or websockets, or a list of them (got ["tcp","ws"])')
    const path = await file('relay.yaml', 'transports: [tcp]')
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_TRANSPORTS: 'tcp,websockets' } })).transports).toEqual(['tcp', 'websockets'])
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_TRANSPORTS: 'tcp,websockets' }, flags: { transports: ['websockets'] } })).transports).toEqual(['websockets'])
  })

  it('has a variable for every relay setting and every timing', () => {
    const names = ENV_VARS.map(v => v.name)
    for (const k of Object.keys(DEFAULT_RELAY_CONFIG)) expect(names).toContain(`SLIM_MESH_${k.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()}`)
    for (const k of Object.keys(DEFAULT_TIMINGS)) expect(names).toContain(`SLIM_MESH_${k.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()}`)
    expect(names).toEqual(expect.arrayContaining(['SLIM_MESH_WRITE_DEADLINE_MS', 'SLIM_MESH_PROBE_INTERVAL_MS', 'SLIM_MESH_LISTEN', 'SLIM_MESH_LOG_FORMAT']))
  })

  it('merges flag > environment > file > defaults, setting by setting', async () => {
    const path = await file('relay.yaml', [
      'listen: 127.0.0.1:9001',
      'dataDir: /from/file',
      'log: { level: debug, format: json }',
      'relay: { writeDeadlineMs: 100, gapWaitMs: 7 }',
      'timings: { gracePeriodMs: 1000 }'
    ].join('\n'))
    const s = await loadNodeSettings({
      configFile: path,
      env: { SLIM_MESH_DATA_DIR: '/from/env', SLIM_MESH_WRITE_DEADLINE_MS: '200', SLIM_MESH_LOG_LEVEL: 'warn' },
      flags: { dataDir: '/from/flag', log: { level: 'error' } }
    })
    expect(s).toEqual({
      ...DEFAULT_NODE_SETTINGS,
      listen: ['127.0.0.1:9001'], // file
      dataDir: '/from/flag', // flag over env over file
      log: { level: 'error', format: 'json' }, // flag level, file format
      relay: { writeDeadlineMs: 200, gapWaitMs: 7 }, // env over file, file kept
      timings: { gracePeriodMs: 1000 }
    })
  })

  it('takes the file from SLIM_MESH_CONFIG when there is no --config; a missing file is one line', async () => {
    const path = await file('relay.json', '{ "inspect": true }')
    expect((await loadNodeSettings({ env: { SLIM_MESH_CONFIG: path } })).inspect).toBe(true)
    expect((await loadNodeSettings({ env: {} })).inspect).toBe(false)
    await expect(loadNodeSettings({ configFile: '/nonexistent/relay.yaml', env: {} })).rejects.toThrow(/^config file \/nonexistent\/relay\.yaml: no such file$/)
  })

  it('reads the metrics address from `metrics:`, SLIM_MESH_METRICS or the flag (off by default), and names a bad one', async () => {
    expect(DEFAULT_NODE_SETTINGS.metrics).toBeUndefined()
    expect(parseConfigText('metrics: 127.0.0.1:9464', 'relay.yaml')).toEqual({ metrics: '127.0.0.1:9464' })
    expect(settingsFromEnv({ SLIM_MESH_METRICS: '127.0.0.1:0' })).toEqual({ metrics: '127.0.0.1:0' })
    const path = await file('relay.yaml', 'metrics: 127.0.0.1:9001')
    expect((await loadNodeSettings({ configFile: path, env: {} })).metrics).toBe('127.0.0.1:9001')
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_METRICS: '127.0.0.1:9002' } })).metrics).toBe('127.0.0.1:9002')
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_METRICS: '127.0.0.1:9002' }, flags: { metrics: '127.0.0.1:9003' } })).metrics).toBe('127.0.0.1:9003')
    expect(() => parseConfigText('metrics: 9464', 'relay.yaml')).toThrow('relay.yaml: metrics must be host:port (got 9464)')
    expect(() => parseConfigText('metrics: 127.0.0.1', 'relay.yaml')).toThrow('relay.yaml: monitoring address "127.0.0.1" is not host:port; write it like 127.0.0.1:9464 (port 0 picks a free one)')
    expect(() => settingsFromEnv({ SLIM_MESH_METRICS: 'localhost' })).toThrow('SLIM_MESH_METRICS: monitoring address "localhost" is not host:port')
  })

  it('reads retention from `retention:` and SLIM_MESH_RETENTION_*, merged key by key, and names a bad value', async () => {
    expect(parseConfigText('retention: { maxBytes: 1048576, maxAgeMs: 0 }', 'relay.yaml')).toEqual({ retention: { maxBytes: 1048576, maxAgeMs: 0 } })
    expect(settingsFromEnv({ SLIM_MESH_RETENTION_MAX_MESSAGES: '500' })).toEqual({ retention: { maxMessages: 500 } })
    const path = await file('relay.yaml', 'retention: { maxBytes: 1048576 }')
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_RETENTION_MAX_AGE_MS: '60000' } })).retention).toEqual({ maxBytes: 1048576, maxAgeMs: 60000 })
    expect(() => parseConfigText('retention: { maxBytes: -1 }', 'relay.yaml')).toThrow('relay.yaml: retention.maxBytes must be a whole number, 0 or more (bytes; 0: no limit) (got -1)')
    expect(() => parseConfigText('retention: { maxBites: 1 }', 'relay.yaml')).toThrow('unknown setting "retention.maxBites" (did you mean "maxBytes"?)')
  })

  it('reads quotas from `quotas:` and SLIM_MESH_QUOTA_*, merged key by key, and names a bad value', async () => {
    expect(parseConfigText('quotas: { subscriptions: 100, bytesInFlight: 0 }', 'relay.yaml')).toEqual({ quotas: { subscriptions: 100, bytesInFlight: 0 } })
    expect(settingsFromEnv({ SLIM_MESH_QUOTA_SUBSCRIPTIONS: '50', SLIM_MESH_QUOTA_NAMES: '10', SLIM_MESH_QUOTA_NAMES_WINDOW_MS: '1000', SLIM_MESH_QUOTA_BYTES_IN_FLIGHT: '1048576' }))
      .toEqual({ quotas: { subscriptions: 50, names: 10, namesWindowMs: 1000, bytesInFlight: 1048576 } })
    const path = await file('relay.yaml', 'quotas: { subscriptions: 100, names: 20 }')
    expect((await loadNodeSettings({ configFile: path, env: { SLIM_MESH_QUOTA_NAMES: '30' } })).quotas).toEqual({ subscriptions: 100, names: 30 })
    expect(DEFAULT_NODE_SETTINGS.quotas).toEqual({})
    expect(() => parseConfigText('quotas: { subscriptions: -1 }', 'relay.yaml')).toThrow('relay.yaml: quotas.subscriptions must be a whole number, 0 or more (subscriptions; 0: no limit) (got -1)')
    expect(() => parseConfigText('quotas: { namesWindowMs: 0 }', 'relay.yaml')).toThrow('relay.yaml: quotas.namesWindowMs must be a positive integer (milliseconds) (got 0)')
    expect(() => settingsFromEnv({ SLIM_MESH_QUOTA_BYTES_IN_FLIGHT: 'lots' })).toThrow('SLIM_MESH_QUOTA_BYTES_IN_FLIGHT must be a whole number, 0 or more (bytes; 0: no limit) (got "lots")')
    expect(() => parseConfigText('quotas: { subscription: 1 }', 'relay.yaml')).toThrow(/^relay\.yaml: unknown setting "quotas\.subscription" \(did you mean "subscriptions"\?\)/)
  })
})
