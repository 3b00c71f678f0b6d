import { describe, expect, test } from 'bun:test'
import { runWithContext } from '../../src/observability/context'
import { createLogger, lineWriter, loggerFor, requestLineWriter, setLogLevel } from '../../src/observability/logger'
import { jsonLogger } from './helpers'

const FIXED_NOW = Date.UTC(2026, 10, 26, 1, 2, 3, 456)

// What the access line carries, hostile path included: it must come out as LogLayer writes it.
const FIELDS = {
	method: 'GET',
	path: '/api/guilds/1?x=\u2028\u009b"\\',
	endpoint: '/api/guilds/:guildId',
	status: 404,
	duration_ms: 0.731,
}

type Fields = typeof FIELDS

/** What LogLayer writes for the access line, then what each writer writes for it. */
function threeWays(
	make: () => ReturnType<typeof jsonLogger>,
	prepare?: (log: ReturnType<typeof loggerFor>) => void,
	fields: Fields = FIELDS,
	correlationId: string | undefined = 'req-1',
) {
	const written: string[] = []
	for (const way of ['loglayer', 'lineWriter', 'requestLineWriter'] as const) {
		const { log, sink } = make()
		const http = loggerFor(log, 'api.http')
		prepare?.(http)
		const writeLine = lineWriter(http)
		const writeRequestLine = requestLineWriter(http)
		const run = () => {
			if (way === 'lineWriter') writeLine('info', 'Request completed', { ...fields })
			else if (way === 'requestLineWriter') writeRequestLine('info', 'Request completed', { ...fields })
			else http.withMetadata({ ...fields }).info('Request completed')
		}
		if (correlationId === undefined) run()
		else runWithContext({ correlationId }, run)
		written.push(sink.text)
	}
	return written
}

const bothWays = (...args: Parameters<typeof threeWays>) => threeWays(...args).slice(0, 2)

describe('lineWriter (the access line)', () => {
	test('writes exactly the bytes withMetadata(...).info(...) writes, in JSON and pretty', () => {
		const [viaLogLayer, direct] = bothWays(() => jsonLogger())
		expect(direct).toBe(viaLogLayer as string)
		expect(JSON.parse(direct as string)).toMatchObject({ logger: 'api.http', correlation_id: 'req-1', status: 404 })
		const [prettyViaLogLayer, prettyDirect] = bothWays(() => jsonLogger({ format: 'pretty', color: true }))
		expect(prettyDirect).toBe(prettyViaLogLayer as string)
	})

	test('takes the LogLayer path, with the same result, when the logger carries context', () => {
		const [viaLogLayer, direct] = bothWays(
			() => jsonLogger(),
			(log) => log.withContext({ region: 'eu' }),
		)
		expect(direct).toBe(viaLogLayer as string)
		expect(JSON.parse(direct as string).region).toBe('eu')
	})

	test('honours the level: debug lines are dropped at info and written at debug', () => {
		const { log, sink } = jsonLogger({ level: 'info' })
		const write = lineWriter(loggerFor(log, 'api.http'))
		write('debug', 'Request completed', { ...FIELDS })
		expect(sink.chunks).toHaveLength(0)
		setLogLevel(log, 'debug')
		write('debug', 'Request completed', { ...FIELDS })
		expect(sink.only()).toMatchObject({ level: 'debug', event: 'Request completed' })
	})
})

describe('requestLineWriter (the access line from one template)', () => {
	test('writes exactly the bytes LogLayer writes, for hostile and odd values too', () => {
		const paths = [
			'/api/guilds/1',
			'/x?\u2028\u2029\u009b\u007f"\\',
			'/\u0000\u001b[31m\n\r\t',
			'/ünïcode/日本/\ud83d\ude00/\ud800',
			'/https://user:hunter2@example.com/x',
			'/Bearer abc.def.ghi',
			'',
		]
		const endpoints = ['/api/guilds/:guildId', 'unmatched', '/odd "template"\u2028']
		const numbers: [number, number][] = [
			[404, 0.731],
			[200, 0],
			[500, 12345.678],
			[200, Number.NaN],
			[599, Number.POSITIVE_INFINITY],
			[200, -0],
			[204, 1e-7],
		]
		let checked = 0
		for (const path of paths)
			for (const endpoint of endpoints)
				for (const [status, duration_ms] of numbers)
					for (const id of ['req-1', undefined]) {
						const fields = { method: path === '' ? 'OTHER' : 'GET', path, endpoint, status, duration_ms }
						const [viaLogLayer, , template] = threeWays(() => jsonLogger(), undefined, fields, id)
						expect(template).toBe(viaLogLayer as string)
						checked++
					}
		expect(checked).toBe(paths.length * endpoints.length * numbers.length * 2)
	})

	test('secrets in the path are redacted as in any other line', () => {
		const { log, sink } = jsonLogger()
		requestLineWriter(loggerFor(log, 'api.http'))('info', 'Request completed', {
			...FIELDS,
			path: '/https://user:hunter2@example.com/x',
		})
		expect(sink.text).not.toContain('hunter2')
	})

	test('takes the LogLayer path, with the same result, in the pretty format and with context', () => {
		const [pretty, , prettyTemplate] = threeWays(() => jsonLogger({ format: 'pretty', color: true }))
		expect(prettyTemplate).toBe(pretty as string)
		const [withContext, , contextTemplate] = threeWays(
			() => jsonLogger(),
			(log) => log.withContext({ region: 'eu' }),
		)
		expect(contextTemplate).toBe(withContext as string)
		expect(JSON.parse(contextTemplate as string).region).toBe('eu')
	})

	test('honours the level', () => {
		const { log, sink } = jsonLogger({ level: 'info' })
		const write = requestLineWriter(loggerFor(log, 'api.http'))
		write('debug', 'Request completed', { ...FIELDS })
		expect(sink.chunks).toHaveLength(0)
		setLogLevel(log, 'debug')
		write('debug', 'Request completed', { ...FIELDS })
		expect(sink.only()).toMatchObject({ level: 'debug', event: 'Request completed', path: FIELDS.path })
	})
})

describe('requestLineWriter with a batching sink', () => {
	test('the deferred line keeps the values of the moment it was written', async () => {
		const { batchedSink } = await import('../../src/observability/logger')
		const chunks: string[] = []
		const sink = batchedSink({ write: (chunk) => chunks.push(chunk), flush: () => 0 })
		let now = FIXED_NOW
		const log = loggerFor(createLogger({ sink, clock: () => now }), 'api.http')
		const write = requestLineWriter(log)
		runWithContext({ correlationId: 'early' }, () => write('info', 'Request completed', { ...FIELDS }))
		now += 60_000
		runWithContext({ correlationId: 'late' }, () => log.info('after'))
		await sink.flush()
		const [first, second] = chunks
			.join('')
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l))
		expect(first).toMatchObject({ correlation_id: 'early', timestamp: new Date(FIXED_NOW).toISOString() })
		expect(second).toMatchObject({ correlation_id: 'late', event: 'after' })
		// The same bytes the line would have had written at once.
		const direct = jsonLogger({ clock: () => FIXED_NOW })
		runWithContext({ correlationId: 'early' }, () =>
			requestLineWriter(loggerFor(direct.log, 'api.http'))('info', 'Request completed', { ...FIELDS }),
		)
		expect(chunks.join('').split('\n')[0]).toBe(direct.sink.text.trimEnd())
	})
})
