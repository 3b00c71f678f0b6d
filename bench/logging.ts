/**
 * Cost of one log line, formatted and written to a Bun FileSink on /dev/null.
 *
 *   bun bench/logging.ts
 *
 * Compares our LogLayer setup with the floor "JSON.stringify one object, write
 * it to the same sink", and measures what a disabled debug line costs. Cases
 * run interleaved, best-of-rounds, so a noisy neighbour skews all of them
 * alike; compare the ratios, not absolute numbers, across machines.
 */
import { runWithContext } from '../src/observability/context'
import { jsonFormat } from '../src/observability/log-format'
import { createLogger, type LineSink } from '../src/observability/logger'

const ROUNDS = 15
const LINES_PER_ROUND = 50_000
const LINES_PER_TURN = 256 // power of two

const file = Bun.file('/dev/null').writer()
const sink: LineSink = {
  write(chunk) {
    file.write(chunk)
  },
  flush() {
    file.flush()
  },
}

const CORRELATION_ID = '3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f'
// The access log line: the most frequent line a busy API writes.
const access = {
  method: 'GET',
  path: '/api/guilds/1234567890123456789',
  route: '/api/guilds/:guildId',
  status: 200,
  durationMs: 1.734,
  responseBytes: 512,
  userAgent: 'curl/8.5.0',
  clientIp: '127.0.0.1',
}

const json = createLogger({ format: 'json', level: 'info', sink, name: 'api.http' })
const pretty = createLogger({ format: 'pretty', level: 'info', sink, name: 'api.http', color: true })

const cases: Record<string, () => void> = {
  'floor: JSON.stringify(object literal) + write': () => {
    const line = JSON.stringify({
      timestamp: new Date().toISOString(),
      level: 'info',
      logger: 'api.http',
      correlation_id: CORRELATION_ID,
      event: 'Request completed',
      method: access.method,
      path: access.path,
      route: access.route,
      status: access.status,
      duration_ms: access.durationMs,
      response_bytes: access.responseBytes,
      user_agent: access.userAgent,
      client_ip: access.clientIp,
    })
    sink.write(`${line}\n`)
  },
  'our formatter alone + write (no LogLayer)': () => {
    sink.write(jsonFormat.line(Date.now(), 'info', 'api.http', CORRELATION_ID, ['Request completed'], access))
  },
  'info, 8 fields, json (withMetadata)': () => {
    json.withMetadata(access).info('Request completed')
  },
  'info, message only, json': () => {
    json.info('Request completed')
  },
  'info, 8 fields, pretty': () => {
    pretty.withMetadata(access).info('Request completed')
  },
  'disabled debug("message")': () => {
    json.debug('Cache hit')
  },
  'disabled withMetadata(8 fields).debug': () => {
    json.withMetadata(access).debug('Health probe')
  },
  'disabled, guarded by isLevelEnabled("debug")': () => {
    if (json.isLevelEnabled('debug')) json.withMetadata(access).debug('Health probe')
  },
}

function once(body: () => void): number {
  const start = Bun.nanoseconds()
  for (let i = 0; i < LINES_PER_ROUND; i++) {
    body()
    // A server's FileSink flushes once per event-loop turn; without this a
    // round piles up in its buffer and the GC dominates.
    if ((i & (LINES_PER_TURN - 1)) === 0) file.flush()
  }
  file.flush()
  return (Bun.nanoseconds() - start) / LINES_PER_ROUND
}

const best = new Map<string, number>()
runWithContext({ correlationId: CORRELATION_ID }, () => {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, body] of Object.entries(cases)) {
      const ns = once(body)
      if (round >= 2) best.set(label, Math.min(best.get(label) ?? Number.POSITIVE_INFINITY, ns)) // 2 warm-up rounds
    }
  }
})

const ns = (label: string) => best.get(label) ?? Number.NaN
for (const [label, value] of best) console.log(`${label.padEnd(48)} ${value.toFixed(0).padStart(6)} ns/line`)
const full = ns('info, 8 fields, json (withMetadata)')
const floor = ns('floor: JSON.stringify(object literal) + write')
console.log('')
console.log(`full info line / floor                  ${(full / floor).toFixed(2)}x`)
console.log(`formatter alone / floor                 ${(ns('our formatter alone + write (no LogLayer)') / floor).toFixed(2)}x`)
console.log(`LogLayer's share of the full line       ${((full - ns('our formatter alone + write (no LogLayer)')) / full * 100).toFixed(0)}%`)
console.log(`pretty / json                           ${(ns('info, 8 fields, pretty') / full).toFixed(2)}x`)
console.log(`disabled debug / full info line         ${(ns('disabled debug("message")') / full).toFixed(3)}x`)
console.log(`disabled debug+metadata / full          ${(ns('disabled withMetadata(8 fields).debug') / full).toFixed(3)}x`)
