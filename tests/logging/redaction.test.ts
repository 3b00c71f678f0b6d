import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../src/observability/logger'
import { redactString } from '../../src/observability/redact'
import { jsonLogger, MemorySink } from './helpers'

const SECRET = 's3cr3t-VALUE-9f8e7d'

// Every name from the contract, plus the spellings they appear under in
// practice (headers, env vars, camelCase fields).
const SENSITIVE_KEYS = [
	'authorization',
	'Authorization',
	'AUTHORIZATION',
	'proxy-authorization',
	'cookie',
	'Cookie',
	'set-cookie',
	'Set-Cookie',
	'password',
	'Password',
	'dbPassword',
	'passwd',
	'secret',
	'clientSecret',
	'client_secret',
	'token',
	'accessToken',
	'refresh_token',
	'api_key',
	'apikey',
	'apiKey',
	'API_KEY',
	'x-api-key',
	'DISCORD_TOKEN',
	'discordToken',
	'METRICS_TOKEN',
	'metrics_token',
]

describe('redaction by field name', () => {
	test.each(SENSITIVE_KEYS)('top-level field %s is redacted', (key) => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ [key]: SECRET, keep: 'visible' }).info('x')
		expect(sink.text).not.toContain(SECRET)
		const record = sink.only()
		expect(Object.values(record)).toContain('[REDACTED]')
		expect(record.keep).toBe('visible')
	})

	test('nested fields are redacted at any depth, in arrays and Maps, whatever their type', () => {
		const { log, sink } = jsonLogger()
		log
			.withMetadata({
				request: {
					headers: { Authorization: `Bearer ${SECRET}`, Cookie: `sid=${SECRET}`, 'content-type': 'application/json' },
					body: { user: { password: SECRET, profile: { apiKey: { nested: SECRET } } } },
				},
				env: new Map([['DISCORD_TOKEN', SECRET]]),
				attempts: [{ token: SECRET }, { token: 12345 }],
			})
			.info('x')
		expect(sink.text).not.toContain(SECRET)
		expect(sink.text).not.toContain('12345')
		expect(sink.only()).toMatchObject({
			request: {
				headers: { Authorization: '[REDACTED]', Cookie: '[REDACTED]', 'content-type': 'application/json' },
				body: { user: { password: '[REDACTED]', profile: { apiKey: '[REDACTED]' } } },
			},
			env: { DISCORD_TOKEN: '[REDACTED]' },
			attempts: [{ token: '[REDACTED]' }, { token: '[REDACTED]' }],
		})
	})

	test('Headers objects are written with their secrets redacted', () => {
		const { log, sink } = jsonLogger()
		const headers = new Headers({ authorization: `Bearer ${SECRET}`, 'x-correlation-id': 'abc', cookie: `a=${SECRET}` })
		log.withMetadata({ headers }).debug('Inbound request')
		expect(sink.text).not.toContain(SECRET)
		expect(sink.only().headers).toMatchObject({
			authorization: '[REDACTED]',
			'x-correlation-id': 'abc',
			cookie: '[REDACTED]',
		})
	})

	test('context fields are redacted like metadata', () => {
		const { log, sink } = jsonLogger()
		log.withContext({ metricsToken: SECRET }).info('x')
		expect(sink.text).not.toContain(SECRET)
	})

	test('ordinary fields that merely contain "token" are kept', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ tokenCount: 3, author: 'ok' }).info('x')
		expect(sink.only()).toMatchObject({ token_count: 3, author: 'ok' })
	})
})

describe('redaction inside strings', () => {
	test.each([
		['postgres://user:pass@host:5432/db', 'postgres://user:***@host:5432/db'],
		[
			'postgresql://byte:p%40ss@db.internal/byte?sslmode=require',
			'postgresql://byte:***@db.internal/byte?sslmode=require',
		],
		[
			'an unescaped @ in the password: postgres://u:p@ss@host/db',
			'an unescaped @ in the password: postgres://u:***@host/db',
		],
		['redis://:onlypass@cache:6379', 'redis://:***@cache:6379'],
		['two: https://a:b@x.io and amqp://c:d@y.io/vh', 'two: https://a:***@x.io and amqp://c:***@y.io/vh'],
		['Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer [REDACTED]'],
		['bearer xyz', 'bearer [REDACTED]'],
		['BEARER xyz, next', 'BEARER [REDACTED], next'],
	])('%s', (input, expected) => {
		expect(redactString(input)).toBe(expected)
		const { log, sink } = jsonLogger()
		log.withMetadata({ value: input, nested: { value: input } }).info(input)
		expect(sink.only()).toMatchObject({ event: expected, value: expected, nested: { value: expected } })
	})

	test.each(['postgres://host:5432/db', 'user@example.com', 'https://example.com/@user', 'memory://'])(
		'leaves %s alone',
		(input) => {
			expect(redactString(input)).toBe(input)
		},
	)
})

describe('redaction in pretty format', () => {
	test('keys, URL credentials and bearer tokens are hidden there too', () => {
		const sink = new MemorySink()
		const log = createLogger({ format: 'pretty', color: false, sink, level: 'debug' })
		log
			.withMetadata({
				password: SECRET,
				url: `postgres://u:${SECRET}@h/db`,
				nested: { token: SECRET },
				header: `Bearer ${SECRET}`,
			})
			.withError(new Error(`failed with Bearer ${SECRET}`))
			.error(`connecting to postgres://u:${SECRET}@h/db`)
		expect(sink.text).not.toContain(SECRET)
		expect(sink.text).toContain('password=[REDACTED]')
		expect(sink.text).toContain('postgres://u:***@h/db')
	})
})
