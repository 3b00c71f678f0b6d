import { describe, expect, test } from 'bun:test'
import { BlankTransport, LogLayer } from 'loglayer'
import { runWithContext } from '../../src/observability/context'
import { createLogger, loggerFor, setLogLevel } from '../../src/observability/logger'
import { jsonLogger, MemorySink } from './helpers'

describe('JSON line shape', () => {
	test('one object per line with the contract fields first, in order, with the right types', () => {
		const { log, sink } = jsonLogger({ name: 'api' })
		const guilds = loggerFor(log, 'api.guilds.service')
		runWithContext({ correlationId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' }, () => {
			guilds
				.withMetadata({ guildId: '123', guildName: 'My Discord Server', memberCount: 42, premium: false })
				.info('Guild fetched')
		})

		expect(sink.chunks).toHaveLength(1)
		expect(sink.text.endsWith('}\n')).toBe(true)
		const record = sink.only()
		expect(Object.keys(record)).toEqual([
			'timestamp',
			'level',
			'logger',
			'correlation_id',
			'event',
			'guild_id',
			'guild_name',
			'member_count',
			'premium',
		])
		expect(record).toEqual({
			timestamp: '2026-11-25T10:30:45.123Z',
			level: 'info',
			logger: 'api.guilds.service',
			correlation_id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
			event: 'Guild fetched',
			guild_id: '123',
			guild_name: 'My Discord Server',
			member_count: 42,
			premium: false,
		})
	})

	test('timestamp is ISO 8601 UTC with milliseconds, taken from the clock at each call', () => {
		let now = Date.UTC(2026, 0, 2, 3, 4, 5, 6)
		const { log, sink } = jsonLogger({ clock: () => now })
		log.info('first')
		now += 1_000_994 // crosses a second boundary and changes the milliseconds
		log.info('second')
		expect(sink.records().map((r) => r.timestamp)).toEqual(['2026-01-02T03:04:05.006Z', '2026-01-02T03:20:46.000Z'])
	})

	test('a line outside any request has no correlation_id key at all', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ port: 8000 }).info('Listening')
		expect(Object.keys(sink.only())).toEqual(['timestamp', 'level', 'logger', 'event', 'port'])
	})

	test('several message arguments join with spaces; tagged templates work', () => {
		const { log, sink } = jsonLogger()
		log.info('Listening on', 8000, true)
		const port = 8001
		log.info`Listening on ${port}`
		expect(sink.records().map((r) => r.event)).toEqual(['Listening on 8000 true', 'Listening on 8001'])
	})

	test('metadataOnly writes an empty event; errorOnly uses the error message', () => {
		const { log, sink } = jsonLogger()
		log.metadataOnly({ queueDepth: 3 })
		log.errorOnly(new Error('disk full'))
		const [meta, error] = sink.records()
		expect(meta).toMatchObject({ level: 'info', event: '', queue_depth: 3 })
		expect(error).toMatchObject({ level: 'error', event: 'disk full', error: { message: 'disk full' } })
	})
})

describe('levels', () => {
	test('LogLayer levels map onto the contract names', () => {
		const { log, sink } = jsonLogger()
		log.trace('t')
		log.debug('d')
		log.info('i')
		log.warn('w')
		log.error('e')
		log.fatal('f')
		expect(sink.records().map((r) => [r.event, r.level])).toEqual([
			['t', 'debug'],
			['d', 'debug'],
			['i', 'info'],
			['w', 'warning'],
			['e', 'error'],
			['f', 'critical'],
		])
	})

	test.each([
		['debug', ['t', 'd', 'i', 'w', 'e', 'f']],
		['info', ['i', 'w', 'e', 'f']],
		['warning', ['w', 'e', 'f']],
		['error', ['e', 'f']],
		['critical', ['f']],
	] as const)('level %s keeps only lines at or above it', (level, expected) => {
		const { log, sink } = jsonLogger({ level })
		const child = loggerFor(log, 'db')
		for (const target of [log, child]) {
			target.trace('t')
			target.debug('d')
			target.info('i')
			target.warn('w')
			target.error('e')
			target.fatal('f')
		}
		expect(sink.records().map((r) => r.event)).toEqual([...expected, ...expected])
	})

	test('a disabled level short-circuits before formatting (the clock is never read)', () => {
		let clockReads = 0
		const sink = new MemorySink()
		const log = createLogger({ format: 'json', level: 'info', sink, clock: () => ++clockReads })
		const db = loggerFor(log, 'db')
		db.debug('skipped')
		db.withMetadata({ rows: 3 }).debug('skipped too')
		db.trace('skipped as well')
		expect(clockReads).toBe(0)
		expect(sink.chunks).toEqual([])
		expect(log.isLevelEnabled('debug')).toBe(false)
	})

	test('the level is shared by the root and its children, also when changed later', () => {
		const { log, sink } = jsonLogger({ level: 'info' })
		const db = loggerFor(log, 'db')
		db.debug('hidden')
		setLogLevel(log, 'debug')
		db.debug('shown')
		setLogLevel(db, 'error')
		log.warn('hidden too')
		expect(sink.records().map((r) => r.event)).toEqual(['shown'])
	})

	test('unknown level or format is rejected at creation', () => {
		expect(() => createLogger({ level: 'verbose' as never, sink: new MemorySink() })).toThrow(/verbose/)
		expect(() => createLogger({ format: 'xml' as never, sink: new MemorySink() })).toThrow(/xml/)
	})
})

describe('field names', () => {
	test('keys become snake_case; snake_case keys pass through', () => {
		const { log, sink } = jsonLogger()
		log
			.withMetadata({
				guildId: 1,
				HTTPStatus: 2,
				'X-Request-ID': 3,
				already_snake: 4,
				durationMs: 5,
				http2Stream: 6,
				lower: 7,
			})
			.info('keys')
		expect(Object.keys(sink.only()).slice(4)).toEqual([
			'guild_id',
			'http_status',
			'x_request_id',
			'already_snake',
			'duration_ms',
			'http2_stream',
			'lower',
		])
	})

	test('fields named like ours are renamed instead of overriding them', () => {
		const { log, sink } = jsonLogger()
		log
			.withMetadata({ level: 'debug', timestamp: 'never', logger: 'x', event: 'y', correlationId: 'forged', 404: 'n' })
			.warn('real')
		const record = sink.only()
		expect(Object.keys(record).slice(0, 4)).toEqual(['timestamp', 'level', 'logger', 'event'])
		expect(record).toMatchObject({
			timestamp: '2026-11-25T10:30:45.123Z',
			level: 'warning',
			logger: 'byte',
			event: 'real',
			field_level: 'debug',
			field_timestamp: 'never',
			field_logger: 'x',
			field_event: 'y',
			field_correlation_id: 'forged',
			field_404: 'n',
		})
	})

	test('context from withContext on a child appears on that child only', () => {
		const { log, sink } = jsonLogger()
		const worker = loggerFor(log, 'bot.worker').withContext({ shardId: 2 })
		worker.info('from worker')
		log.info('from root')
		const [fromWorker, fromRoot] = sink.records()
		expect(fromWorker).toMatchObject({ logger: 'bot.worker', shard_id: 2 })
		expect(fromRoot).not.toHaveProperty('shard_id')
	})
})

describe('logger names', () => {
	test('root uses its name; children of the root use theirs as given; grandchildren join with dots', () => {
		const { log, sink } = jsonLogger({ name: 'api' })
		const guilds = loggerFor(log, 'api.guilds.service')
		const repo = loggerFor(guilds, 'repository')
		const bot = loggerFor(log, 'bot')
		const client = loggerFor(bot, 'client')
		for (const l of [log, guilds, repo, client, loggerFor(log, 'db')]) l.info('hello')
		expect(sink.records().map((r) => r.logger)).toEqual([
			'api',
			'api.guilds.service',
			'api.guilds.service.repository',
			'bot.client',
			'db',
		])
	})

	test('the root is named "byte" unless told otherwise', () => {
		const { log, sink } = jsonLogger()
		log.info('x')
		expect(sink.only().logger).toBe('byte')
	})

	test('a child is created once and reused: its lines keep their name across calls', () => {
		const { log, sink } = jsonLogger()
		const db = loggerFor(log, 'db')
		for (let i = 0; i < 3; i++) db.withMetadata({ i }).debug('query')
		expect(sink.records().map((r) => [r.logger, r.i])).toEqual([
			['db', 0],
			['db', 1],
			['db', 2],
		])
	})

	test('loggerFor rejects loggers it did not create and empty names', () => {
		const { log } = jsonLogger()
		expect(() => loggerFor(log, '')).toThrow(TypeError)
		const foreign = new LogLayer({ transport: new BlankTransport({ shipToLogger: () => [] }) })
		expect(() => loggerFor(foreign, 'x')).toThrow(/createLogger/)
	})
})

describe('values', () => {
	test('BigInt becomes a decimal string, at the top level and nested', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ guildId: 1234567890123456789n, nested: { ids: [18446744073709551615n] } }).info('snowflakes')
		expect(sink.only()).toMatchObject({ guild_id: '1234567890123456789', nested: { ids: ['18446744073709551615'] } })
	})

	test('undefined, functions and symbols are left out; NaN and Infinity become null', () => {
		const { log, sink } = jsonLogger()
		log
			.withMetadata({ a: undefined, b: () => 1, c: Symbol('s'), d: Number.NaN, e: Number.POSITIVE_INFINITY, f: null })
			.info('odd')
		const record = sink.only()
		expect(Object.keys(record).slice(4)).toEqual(['d', 'e', 'f'])
		expect(record).toMatchObject({ d: null, e: null, f: null })
	})

	test('Dates, URLs, Maps, Sets, arrays and buffers take readable JSON forms', () => {
		const { log, sink } = jsonLogger()
		log
			.withMetadata({
				when: new Date(Date.UTC(2026, 0, 1)),
				url: new URL('https://example.com/a?b=1'),
				byName: new Map<string, unknown>([['x', 1]]),
				tags: new Set(['a', 'b']),
				list: [1, undefined, 'two'],
				bytes: new Uint8Array(16),
			})
			.info('shapes')
		expect(sink.only()).toMatchObject({
			when: '2026-01-01T00:00:00.000Z',
			url: 'https://example.com/a?b=1',
			by_name: { x: 1 },
			tags: ['a', 'b'],
			list: [1, null, 'two'],
			bytes: '[Uint8Array 16 bytes]',
		})
	})

	test('circular structures are cut, not thrown on; shared (non-circular) references are kept', () => {
		const { log, sink } = jsonLogger()
		const guild: Record<string, unknown> = { id: '1' }
		guild.self = guild
		const shared = { x: 1 }
		const arr: unknown[] = [shared, shared]
		arr.push(arr)
		expect(() => log.withMetadata({ guild, arr }).info('loops')).not.toThrow()
		expect(sink.only()).toMatchObject({
			guild: { id: '1', self: '[Circular]' },
			arr: [{ x: 1 }, { x: 1 }, '[Circular]'],
		})
	})

	test('very deep nesting is truncated', () => {
		const { log, sink } = jsonLogger()
		let deep: Record<string, unknown> = { leaf: true }
		for (let i = 0; i < 20; i++) deep = { next: deep }
		log.withMetadata({ deep }).info('deep')
		expect(sink.text).toContain('"[Truncated]"')
		expect(sink.text).not.toContain('leaf')
	})
})
