import { describe, expect, test } from 'bun:test'
import { runWithContext } from '../../src/observability/context'
import { lineWriter, loggerFor, setLogLevel } from '../../src/observability/logger'
import { jsonLogger } from './helpers'

// What the access line carries, hostile path included: it must come out as LogLayer writes it.
const FIELDS = {
	method: 'GET',
	path: '/api/guilds/1?x=\u2028\u009b"\\',
	endpoint: '/api/guilds/:guildId',
	status: 404,
	duration_ms: 0.731,
}

function bothWays(make: () => ReturnType<typeof jsonLogger>, prepare?: (log: ReturnType<typeof loggerFor>) => void) {
	const written: string[] = []
	for (const direct of [false, true]) {
		const { log, sink } = make()
		const http = loggerFor(log, 'api.http')
		prepare?.(http)
		const write = lineWriter(http)
		runWithContext({ correlationId: 'req-1' }, () => {
			if (direct) write('info', 'Request completed', { ...FIELDS })
			else http.withMetadata({ ...FIELDS }).info('Request completed')
		})
		written.push(sink.text)
	}
	return written
}

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
