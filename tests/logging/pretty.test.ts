import { describe, expect, test } from 'bun:test'
import { runWithContext } from '../../src/observability/context'
import { createLogger, loggerFor } from '../../src/observability/logger'
import { FIXED_TIME, MemorySink } from './helpers'

function prettyLogger(color: boolean) {
	const sink = new MemorySink()
	const log = createLogger({ format: 'pretty', color, sink, level: 'debug', clock: () => FIXED_TIME })
	return { log, sink }
}

// The terminal shows local time; compute what FIXED_TIME looks like here.
const d = new Date(FIXED_TIME)
const pad = (n: number) => String(n).padStart(2, '0')
const LOCAL_TIME = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.123`

describe('pretty format', () => {
	test('HH:MM:SS.mmm LEVEL logger [correlation_id] event key=value', () => {
		const { log, sink } = prettyLogger(false)
		const guilds = loggerFor(log, 'api.guilds.service')
		runWithContext({ correlationId: 'req-1' }, () => {
			guilds.withMetadata({ guildId: 123n, guildName: 'My Server', cached: true, size: 3 }).info('Guild fetched')
		})
		expect(sink.lines()).toEqual([
			`${LOCAL_TIME} INFO     api.guilds.service [req-1] Guild fetched guild_id=123 guild_name="My Server" cached=true size=3`,
		])
	})

	test('all five levels get their own fixed-width label', () => {
		const { log, sink } = prettyLogger(false)
		log.debug('d')
		log.info('i')
		log.warn('w')
		log.error('e')
		log.fatal('f')
		expect(sink.lines().map((l) => l.slice(LOCAL_TIME.length + 1, LOCAL_TIME.length + 10))).toEqual([
			'DEBUG    ',
			'INFO     ',
			'WARNING  ',
			'ERROR    ',
			'CRITICAL ',
		])
	})

	test('levels are coloured when colour is on, and plain when off', () => {
		const coloured = prettyLogger(true)
		coloured.log.error('boom')
		expect(coloured.sink.text).toContain('\x1b[31mERROR   \x1b[0m')
		const plain = prettyLogger(false)
		plain.log.error('boom')
		expect(plain.sink.text).not.toContain('\x1b')
	})

	test('the error stack is indented below the line, causes nested under it', () => {
		const { log, sink } = prettyLogger(false)
		const err = new Error('outer', { cause: new Error('inner') })
		log.withError(err).error('Request failed')
		const lines = sink.lines()
		expect(lines[0]).toBe(`${LOCAL_TIME} ERROR    byte Request failed error="Error: outer"`)
		expect(lines[1]).toBe('    Error: outer')
		expect(lines[2]).toMatch(/^ {8}at /)
		const causedBy = lines.indexOf('    Caused by:')
		expect(causedBy).toBeGreaterThan(1)
		expect(lines[causedBy + 1]).toBe('      Error: inner')
		for (const line of lines.slice(1)) expect(line.startsWith('    ')).toBe(true)
	})

	test('nested objects print as compact JSON', () => {
		const { log, sink } = prettyLogger(false)
		log.withMetadata({ route: { method: 'GET', path: '/health' } }).debug('Probe')
		expect(sink.lines()[0]).toEndWith('Probe route={"method":"GET","path":"/health"}')
	})
})

test('pretty lines end with the trace IDs, dimmed, inside a traced request', () => {
	const sink = new MemorySink()
	const log = createLogger({ format: 'pretty', color: false, sink, clock: () => FIXED_TIME })
	runWithContext({ correlationId: 'c1', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, () => log.info('hi'))
	expect(sink.text.trimEnd()).toEndWith(`[c1] hi trace_id=${'a'.repeat(32)} span_id=${'b'.repeat(16)}`)
})
