import { describe, expect, test } from 'bun:test'
import { serializeError } from '../../src/observability/values'
import { loggerFor } from '../../src/observability/logger'
import { jsonLogger } from './helpers'

type ErrorRecord = {
	name: string
	message: string
	stack?: string
	code?: unknown
	cause?: ErrorRecord | unknown
	errors?: unknown[]
}

function errorOf(record: Record<string, unknown>, key = 'error'): ErrorRecord {
	const value = record[key]
	if (typeof value !== 'object' || value === null) throw new Error(`no ${key} object in ${JSON.stringify(record)}`)
	return value as ErrorRecord
}

describe('error serialization', () => {
	test('withError writes name, message and stack under "error" (not {})', () => {
		const { log, sink } = jsonLogger()
		const err = new TypeError('guild_id must be a snowflake')
		loggerFor(log, 'api.guilds.service').withError(err).error('Guild update failed')
		const record = sink.only()
		expect(record).toMatchObject({ level: 'error', event: 'Guild update failed', logger: 'api.guilds.service' })
		const error = errorOf(record)
		expect(error.name).toBe('TypeError')
		expect(error.message).toBe('guild_id must be a snowflake')
		expect(error.stack).toBe(err.stack as string)
		expect(error.stack).toContain('errors.test.ts')
	})

	test('cause is serialized recursively, with code when present', () => {
		const { log, sink } = jsonLogger()
		const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
		const middle = new Error('query failed', { cause: root })
		const top = new Error('could not load guild', { cause: middle })
		log.withError(top).fatal('Giving up')
		const error = errorOf(sink.only())
		expect(error.message).toBe('could not load guild')
		const cause = error.cause as ErrorRecord
		expect(cause).toMatchObject({ name: 'Error', message: 'query failed' })
		expect(typeof cause.stack).toBe('string')
		expect(cause.cause).toMatchObject({
			name: 'Error',
			message: 'connect ECONNREFUSED 127.0.0.1:5432',
			code: 'ECONNREFUSED',
		})
	})

	test('non-error causes are kept as (redacted) data', () => {
		const { log, sink } = jsonLogger()
		const err = new Error('upstream said no', { cause: { status: 503, authorization: 'Bearer abc' } })
		log.withError(err).error('Call failed')
		expect(errorOf(sink.only()).cause).toEqual({ status: 503, authorization: '[REDACTED]' })
	})

	test('a cause cycle is cut', () => {
		const { log, sink } = jsonLogger()
		const a = new Error('a')
		const b = new Error('b', { cause: a })
		;(a as Error & { cause?: unknown }).cause = b
		expect(() => log.withError(a).error('loop')).not.toThrow()
		const error = errorOf(sink.only())
		expect((error.cause as ErrorRecord).message).toBe('b')
		expect((error.cause as ErrorRecord).cause).toBe('[Circular]')
	})

	test('an Error passed as a metadata value is serialized the same way, at any depth', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ lastError: new RangeError('too far'), attempts: [{ err: new Error('first') }] }).warn('Retrying')
		const record = sink.only()
		expect(errorOf(record, 'last_error')).toMatchObject({ name: 'RangeError', message: 'too far' })
		expect(typeof errorOf(record, 'last_error').stack).toBe('string')
		expect(record.attempts).toEqual([{ err: expect.objectContaining({ name: 'Error', message: 'first' }) }])
	})

	test('AggregateError lists its inner errors', () => {
		const { log, sink } = jsonLogger()
		const err = new AggregateError([new Error('ipv6 refused'), new Error('ipv4 refused')], 'connect failed')
		log.withError(err).error('DB down')
		expect(errorOf(sink.only()).errors).toEqual([
			expect.objectContaining({ message: 'ipv6 refused' }),
			expect.objectContaining({ message: 'ipv4 refused' }),
		])
	})

	test('something thrown that is not an Error still produces an error object', () => {
		const { log, sink } = jsonLogger()
		log.withError('just a string').error('Weird throw')
		log.withError(42).error('Weirder throw')
		expect(sink.records().map((r) => r.error)).toEqual([
			{ name: 'NonError', message: 'just a string' },
			{ name: 'NonError', message: '42' },
		])
	})

	test('error messages are redacted too', () => {
		const { log, sink } = jsonLogger()
		log.withError(new Error('cannot connect to postgres://byte:hunter2@db:5432/byte')).error('Startup failed')
		const error = errorOf(sink.only())
		expect(error.message).toBe('cannot connect to postgres://byte:***@db:5432/byte')
		expect(sink.text).not.toContain('hunter2')
	})

	test('serializeError never throws, whatever it is given', () => {
		const hostile = new Error('x')
		Object.defineProperty(hostile, 'cause', {
			get() {
				throw new Error('getter exploded')
			},
		})
		expect(serializeError(hostile)).toEqual({ name: 'Error', message: '[unserializable error]' })
		expect(serializeError(Symbol('s'))).toEqual({ name: 'NonError', message: 'Symbol(s)' })
		expect(serializeError(undefined)).toEqual({ name: 'NonError', message: 'undefined' })
	})
})
