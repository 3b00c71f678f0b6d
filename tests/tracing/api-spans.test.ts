/**
 * The API's spans (README "Tracing"): one SERVER span per request, named by method and route
 * template, with the database statements it ran as CLIENT children; exported through the real
 * SDK and OTLP exporter to a local receiver that decodes what a collector would store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'
import type { DecodedSpan, OtlpReceiver } from '../helpers/otlp-receiver'
import { startOtlpReceiver } from '../helpers/otlp-receiver'
import { exportingTracing } from './helpers'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

let receiver: OtlpReceiver
let t: TestApp
let tracing: Awaited<ReturnType<typeof exportingTracing>>['tracing']

beforeAll(async () => {
	receiver = startOtlpReceiver()
	tracing = (await exportingTracing(receiver.url)).tracing
	t = await createTestApp({ level: 'info', tracing })
	t.app.get('/test/boom', () => {
		throw new TypeError('secret=hunter2 inside')
	})
})
afterAll(async () => {
	await tracing.shutdown(2000)
	await t.close()
	await receiver.stop()
})

/** The spans of one trace, once its SERVER span has arrived. */
async function traceOf(traceId: string): Promise<DecodedSpan[]> {
	await tracing.forceFlush(5000)
	const spans = receiver.spans().filter((s) => s.traceId === traceId)
	expect(spans.some((s) => s.kind === 'SERVER')).toBe(true)
	return spans
}

describe('spans of the API', () => {
	test('a request continues the caller trace: SERVER span, then CLIENT spans for its SQL, no values', async () => {
		const res = await t.request('POST', '/api/guilds', {
			body: { guildId: '987654321987654321', guildName: 'Spans secret-name' },
			headers: { traceparent: `00-${TRACE}-${PARENT}-01` },
		})
		expect(res.status).toBe(201)
		const spans = await traceOf(TRACE)
		const server = spans.find((s) => s.kind === 'SERVER')!
		expect(server).toMatchObject({
			name: 'POST /api/guilds',
			parentSpanId: PARENT,
			attributes: {
				'http.request.method': 'POST',
				'http.route': '/api/guilds',
				'url.path': '/api/guilds',
				'http.response.status_code': 201,
			},
		})
		const statements = spans.filter((s) => s.kind === 'CLIENT')
		expect(statements.length).toBeGreaterThan(0)
		for (const span of statements) {
			expect(span.parentSpanId).toBe(server.spanId)
			expect(span.attributes['db.system.name']).toBe('postgresql')
		}
		const insert = statements.find((s) => s.attributes['db.operation.name'] === 'INSERT')!
		expect(insert.attributes['db.query.text']).toMatch(/^insert into "guild" .*\$1/)
		const exported = JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
		expect(exported).not.toContain('987654321987654321')
		expect(exported).not.toContain('secret-name')
		// The server span's ID is the one every log line of the request carried.
		expect(server.spanId).toMatch(/^[0-9a-f]{16}$/)
	})

	test('paths no route serves are named by the method alone, without http.route', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/wp-admin/setup.php', { headers: { 'X-Correlation-ID': 'unmatched-span' } })
		expect(res.status).toBe(404)
		const access = t.logs().find((l) => l.correlation_id === 'unmatched-span' && l.event === 'Request completed')
		const [server] = (await traceOf(access?.trace_id as string)).filter((s) => s.kind === 'SERVER')
		expect(server).toMatchObject({ name: 'GET', spanId: access?.span_id, parentSpanId: undefined })
		expect(server?.attributes['http.route']).toBeUndefined()
		expect(server?.attributes['url.path']).toBe('/wp-admin/setup.php')
	})

	test('a thrown error is a 500 span with error.type, and its message is not exported', async () => {
		const res = await t.request('GET', '/test/boom', { headers: { traceparent: `00-${'1'.repeat(32)}-${PARENT}-01` } })
		expect(res.status).toBe(500)
		const [server] = (await traceOf('1'.repeat(32))).filter((s) => s.kind === 'SERVER')
		expect(server).toMatchObject({
			name: 'GET /test/boom',
			status: { code: 'ERROR' },
			attributes: { 'error.type': 'TypeError', 'http.response.status_code': 500 },
		})
		expect(JSON.stringify(server, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('hunter2')
	})

	test('a caller that did not sample is followed: nothing of its trace is exported', async () => {
		const unsampled = '2'.repeat(32)
		await t.request('GET', '/api/guilds', { headers: { traceparent: `00-${unsampled}-${PARENT}-00` } })
		await t.request('GET', '/api/guilds', { headers: { traceparent: `00-${'3'.repeat(32)}-${PARENT}-01` } })
		await traceOf('3'.repeat(32))
		expect(receiver.spans().filter((s) => s.traceId === unsampled)).toEqual([])
	})
})
