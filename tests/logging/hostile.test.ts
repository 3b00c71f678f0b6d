import { describe, expect, test } from 'bun:test'
import { runWithContext } from '../../src/observability/context'
import { createLogger, type LineSink } from '../../src/observability/logger'
import { FIXED_TIME, jsonLogger, MemorySink } from './helpers'

const HOSTILE = [
	'line one\n{"level":"critical","event":"forged"}',
	'carriage\rreturn',
	'nul\u0000byte',
	'ansi \x1b[31mred\x1b[0m and \x1b]0;title\x07',
	'c1 csi \u009b31m',
	'unicode line\u2028separator\u2029para',
	'del\u007f',
	'lone surrogate \ud800 here',
]

// Anything a terminal would act on, or that would start a new line.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/

describe('hostile values in JSON format', () => {
	test('each line stays one JSON object and round-trips the value exactly', () => {
		const { log, sink } = jsonLogger()
		for (const value of HOSTILE) {
			runWithContext({ correlationId: value }, () => {
				log.withMetadata({ value, [value]: 'as a key', nested: { value } }).info(value)
			})
		}
		const lines = sink.lines()
		expect(lines).toHaveLength(HOSTILE.length)
		for (const line of lines) expect(line).not.toMatch(RAW_CONTROL)
		sink.records().forEach((record, i) => {
			const value = HOSTILE[i] as string
			const expected = value.replace('\ud800', '\ufffd') // lone surrogates cannot survive UTF-8
			const roundTrip = (s: unknown) => String(s).replace('\ud800', '\ufffd')
			expect(roundTrip(record.event)).toBe(expected)
			expect(roundTrip(record.value)).toBe(expected)
			expect(roundTrip(record.correlation_id)).toBe(expected)
			expect(roundTrip((record.nested as { value: string }).value)).toBe(expected)
			expect(record.level).toBe('info')
		})
	})

	test('a value that looks like JSON fields cannot add or override fields', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ note: '","level":"critical' }).info('x","level":"critical')
		const record = sink.only()
		expect(record.level).toBe('info')
		expect(record.event).toBe('x","level":"critical')
	})
})

describe('hostile values in pretty format', () => {
	test('no value can start a line of its own or emit an escape sequence', () => {
		const sink = new MemorySink()
		const log = createLogger({ format: 'pretty', color: false, sink, level: 'debug', clock: () => FIXED_TIME })
		for (const value of HOSTILE) {
			runWithContext({ correlationId: value }, () => {
				const err = new Error(value)
				log
					.withMetadata({ value, [value]: value, nested: { value } })
					.withError(err)
					.error(value)
			})
		}
		const lines = sink.lines()
		for (const line of lines) expect(line).not.toMatch(RAW_CONTROL)
		// Every line is either a log line (starts with the time) or an indented
		// continuation of an error stack: nothing forged can sit at column 0.
		for (const line of lines) expect(line).toMatch(/^(\d\d:\d\d:\d\d\.\d{3} |\s)/)
		const logLines = lines.filter((l) => /^\d/.test(l))
		expect(logLines).toHaveLength(HOSTILE.length)
		expect(sink.text).toContain('line one\\n{')
		expect(sink.text).toContain('\\u001b[31m')
	})

	test('colours come only from the logger itself', () => {
		const sink = new MemorySink()
		const log = createLogger({ format: 'pretty', color: true, sink })
		log.withMetadata({ v: '\x1b[41mEVIL' }).info('\x1b[2J clear screen')
		const escapes = sink.text.match(/\x1b\[[0-9;]*m/g) ?? []
		expect(escapes.length).toBeGreaterThan(0)
		expect(sink.text).not.toContain('\x1b[41m')
		expect(sink.text).not.toContain('\x1b[2J')
	})
})

describe('a logging call never throws', () => {
	test('hostile getters, toJSON and revoked proxies cost their field, not the line', () => {
		const { log, sink } = jsonLogger()
		const throwingGetter = {
			get boom() {
				throw new Error('getter')
			},
		}
		const throwingToJSON = {
			toJSON() {
				throw new Error('toJSON')
			},
		}
		const { proxy, revoke } = Proxy.revocable({}, {})
		revoke()
		expect(() =>
			log.withMetadata({ nested: throwingGetter, json: throwingToJSON, list: [proxy], ok: 1 }).info('survives'),
		).not.toThrow()
		expect(sink.only()).toMatchObject({
			event: 'survives',
			nested: '[Unserializable]',
			json: '[Unserializable]',
			list: '[Unserializable]',
			ok: 1,
		})
	})

	test('a message whose toString throws produces a fallback line with the right level and context', () => {
		const { log, sink } = jsonLogger()
		const evil = {
			toString() {
				throw new Error('no string for you')
			},
		}
		runWithContext({ correlationId: 'req-9' }, () => {
			expect(() => log.warn(evil as unknown as string)).not.toThrow()
		})
		expect(sink.only()).toEqual({
			timestamp: '2026-11-25T10:30:45.123Z',
			level: 'warning',
			logger: 'byte',
			correlation_id: 'req-9',
			event: 'log line could not be formatted',
			format_error: 'no string for you',
		})
	})

	test('a clock that throws or returns garbage still yields a valid line', () => {
		for (const clock of [
			() => Number.NaN,
			() => -1,
			() => 1e20,
			() => {
				throw new Error('clock')
			},
		]) {
			const sink = new MemorySink()
			const log = createLogger({ sink, clock })
			expect(() => log.info('tick')).not.toThrow()
			const record = sink.only()
			expect(record.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
			expect(record.level).toBe('info')
		}
	})

	test('a sink that throws does not reach the caller', () => {
		const broken: LineSink = {
			write() {
				throw new Error('EPIPE')
			},
			flush() {
				throw new Error('EPIPE')
			},
		}
		const log = createLogger({ sink: broken })
		expect(() => log.withMetadata({ a: 1 }).error('x')).not.toThrow()
	})
})
