/**
 * W3C Trace Context on every request (README "Tracing"): an inbound `traceparent` is
 * continued, the correlation ID falls back to its trace ID, logs and exemplars carry
 * `trace_id`/`span_id`, and a malformed header starts a fresh trace and appears nowhere.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`
const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/

let t: TestApp
const seen: { traceId: string; spanId: string; correlationId: string }[] = []
beforeAll(async () => {
	t = await createTestApp({ level: 'debug' })
	t.app.get('/test/trace', ({ traceId, spanId, correlationId }) => {
		expectTypeOf(traceId).toEqualTypeOf<string>()
		expectTypeOf(spanId).toEqualTypeOf<string>()
		seen.push({ traceId, spanId, correlationId })
		return { traceId, spanId }
	})
	await t.request('POST', '/api/guilds', { body: { guildId: '1', guildName: 'Traced' } })
})
afterAll(() => t.close())

const lines = (correlationId: string) => t.logs().filter((l) => l.correlation_id === correlationId)

describe('an inbound traceparent', () => {
	test('is continued with a new span; the correlation ID is its trace ID; every line carries both', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/api/guilds/1', { headers: { traceparent: TRACEPARENT } })
		expect(res.status).toBe(200)
		expect(res.headers.get('x-correlation-id')).toBe(TRACE)
		const mine = lines(TRACE)
		expect(mine.map((l) => l.logger)).toEqual(expect.arrayContaining(['api.db', 'api.guilds.service', 'api.http']))
		for (const line of mine) {
			expect(line.trace_id).toBe(TRACE)
			expect(line.span_id).toMatch(HEX16)
			expect(line.span_id).not.toBe(PARENT)
		}
		expect(new Set(mine.map((l) => l.span_id)).size).toBe(1)
		const access = mine.find((l) => l.event === 'Request completed')
		expect(Object.keys(access ?? {}).slice(0, 7)).toEqual([
			'timestamp',
			'level',
			'logger',
			'correlation_id',
			'trace_id',
			'span_id',
			'event',
		])
	})

	test('a valid X-Correlation-ID still wins; the trace is continued all the same', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/test/trace', {
			headers: { traceparent: TRACEPARENT, 'X-Correlation-ID': 'mine-1' },
		})
		expect(res.headers.get('x-correlation-id')).toBe('mine-1')
		expect(res.json.traceId).toBe(TRACE)
		expect(res.json.spanId).toMatch(HEX16)
		expect(seen.at(-1)).toEqual({ traceId: TRACE, spanId: res.json.spanId, correlationId: 'mine-1' })
		expect(lines('mine-1').every((l) => l.trace_id === TRACE && l.span_id === res.json.spanId)).toBe(true)
	})

	test('without one, a new trace: random 16-byte trace ID, the correlation ID a UUID', async () => {
		const a = await t.request('GET', '/test/trace')
		const b = await t.request('GET', '/test/trace')
		expect(a.json.traceId).toMatch(HEX32)
		expect(a.json.traceId).not.toBe(b.json.traceId)
		expect(a.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/)
	})

	test('malformed values start a fresh trace and appear nowhere, only their length', async () => {
		const bad = [
			`00-${TRACE.toUpperCase()}-${PARENT}-01`, // upper-case hex
			`00-${'0'.repeat(32)}-${PARENT}-01`, // all-zero trace ID
			`00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent ID
			`ff-${TRACE}-${PARENT}-01`, // version ff
			`00-${TRACE}-${PARENT}-01-extra`, // version 00 takes nothing after the flags
			`00-${TRACE}-${PARENT}-01\u001b[31m`,
		]
		for (const header of bad) {
			t.clearLogs()
			const res = await t.request('GET', '/test/trace', { headers: { traceparent: header } })
			expect({ header, status: res.status }).toEqual({ header, status: 200 })
			expect(res.json.traceId).not.toBe(TRACE)
			const id = res.headers.get('x-correlation-id') as string
			expect(id).not.toBe(TRACE)
			const warning = t.logs().find((l) => l.event === 'Invalid traceparent ignored; a new trace started')
			expect(warning).toMatchObject({ level: 'warning', rejected_length: header.length, trace_id: res.json.traceId })
			const output = JSON.stringify(t.logs()) + JSON.stringify([...res.headers])
			expect(output).not.toContain(header)
		}
	})

	test('a higher version is read as the Recommendation says: its known fields, the rest ignored', async () => {
		const res = await t.request('GET', '/test/trace', { headers: { traceparent: `01-${TRACE}-${PARENT}-01-ffff` } })
		expect(res.json.traceId).toBe(TRACE)
	})
})

describe('exemplars', () => {
	test('carry trace_id and span_id, and correlation_id when it differs from the trace ID', async () => {
		const scrape = async () =>
			(await t.request('GET', '/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text
		await t.request('GET', '/api/guilds/1', { headers: { traceparent: TRACEPARENT } })
		const sameAsTrace = (await scrape())
			.split('\n')
			.filter(
				(l) => l.startsWith('http_request_duration_seconds_bucket{') && l.includes('endpoint="/api/guilds/:guildId"'),
			)
			.find((l) => l.includes(`trace_id="${TRACE}"`))
		expect(sameAsTrace).toMatch(new RegExp(`# \\{trace_id="${TRACE}",span_id="[0-9a-f]{16}"\\} `))

		const own = await t.request('GET', '/api/guilds/1', {
			headers: { traceparent: TRACEPARENT, 'X-Correlation-ID': 'exemplar-own' },
		})
		expect(own.status).toBe(200)
		expect(await scrape()).toMatch(
			new RegExp(`# \\{trace_id="${TRACE}",span_id="[0-9a-f]{16}",correlation_id="exemplar-own"\\} `),
		)
	})

	test('a correlation ID that would break the 128-character limit is left out of the exemplar', async () => {
		const long = 'c'.repeat(100)
		await t.request('GET', '/health/ready', { headers: { 'X-Correlation-ID': long } })
		const text = (await t.request('GET', '/metrics', { headers: { accept: 'application/openmetrics-text' } })).text
		const line = text.split('\n').find((l) => l.includes('endpoint="/health/ready"') && l.includes(' # {'))
		expect(line).toMatch(/# \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} /)
		expect(line).not.toContain(long)
	})
})
