import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'
import { checkMetrics, requirePromtool } from '../helpers/promtool'

const hasPromtool = requirePromtool('/metrics lint')
let t: TestApp
beforeAll(async () => {
	t = await createTestApp({ level: 'info' })
	t.app.get('/test/boom', () => {
		throw new Error('boom')
	})
	t.app.get('/test/response', () => new Response('teapot', { status: 418 }))
	t.app.get('/test/status', ({ status }) => status(409, { conflict: true }))
	// JSON.stringify throws on a BigInt only when Elysia turns the value into a Response,
	// after the hooks have seen the 200.
	t.app.get('/test/unserializable', () => ({ id: 1n }))
})
afterAll(() => t.close())

const count = (method: string, endpoint: string, status: number) =>
	t.sample(`http_requests_total{method="${method}",endpoint="${endpoint}",status="${status}"}`)
const histogramCount = (method: string, endpoint: string) =>
	t.sample(`http_request_duration_seconds_count{method="${method}",endpoint="${endpoint}"}`)

describe('http metrics', () => {
	test('counts by route template with exact deltas', async () => {
		await t.request('POST', '/api/guilds', { body: { guildId: '777', guildName: 'm' } })
		const before = count('GET', '/api/guilds/:guildId', 200)
		const beforeMissing = count('GET', '/api/guilds/:guildId', 404)
		const beforeHist = histogramCount('GET', '/api/guilds/:guildId')
		for (let i = 0; i < 7; i++) await t.request('GET', '/api/guilds/777')
		for (let i = 0; i < 3; i++) await t.request('GET', `/api/guilds/${1000 + i}`)
		expect(count('GET', '/api/guilds/:guildId', 200) - before).toBe(7)
		expect(count('GET', '/api/guilds/:guildId', 404) - beforeMissing).toBe(3)
		expect(histogramCount('GET', '/api/guilds/:guildId') - beforeHist).toBe(10)
		expect(t.registry.render('text')).not.toContain('endpoint="/api/guilds/777"')
	})

	test('every kind of error is counted once with its final status', async () => {
		const cases: [string, string, unknown, number, string][] = [
			['GET', '/test/boom', undefined, 500, '/test/boom'],
			['GET', '/test/response', undefined, 418, '/test/response'],
			['GET', '/test/status', undefined, 409, '/test/status'],
			['POST', '/api/guilds', '{broken', 400, '/api/guilds'],
			['POST', '/api/guilds', { guildName: 'x' }, 422, '/api/guilds'],
			['POST', '/api/guilds', { guildId: '777', guildName: 'dup' }, 409, '/api/guilds'],
			['GET', '/nowhere', undefined, 404, 'unmatched'],
			['GET', '/test/unserializable', undefined, 500, '/test/unserializable'],
		]
		for (const [method, path, body, status, endpoint] of cases) {
			const before = count(method, endpoint, status)
			const beforeHist = histogramCount(method, endpoint)
			const res = await t.request(method, path, { body })
			expect(res.status).toBe(status)
			expect(count(method, endpoint, status) - before).toBe(1)
			expect(histogramCount(method, endpoint) - beforeHist).toBe(1)
		}
	})

	test('a response that fails only when serialised is counted and logged once, as the 500 it became', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/test/unserializable', { headers: { 'X-Correlation-ID': 'late-failure' } })
		expect(res.status).toBe(500)
		expect(count('GET', '/test/unserializable', 200)).toBe(0)
		const lines = t.logs().filter((l) => l.correlation_id === 'late-failure' && l.logger === 'api.http')
		expect(lines.map((l) => [l.event, l.status])).toEqual([['Request failed', 500]])
	})

	test('unmatched paths and odd methods do not add series', async () => {
		await t.request('GET', '/warm-up')
		const seriesBefore = t.registry
			.render('text')
			.split('\n')
			.filter((l) => l.startsWith('http_requests_total{')).length
		const before = count('GET', 'unmatched', 404)
		for (let i = 0; i < 300; i++) await t.request('GET', `/random/${crypto.randomUUID()}/${i}?q=${i}`)
		expect(count('GET', 'unmatched', 404) - before).toBe(300)
		const odd = await t.request('PROPFIND', '/random/path')
		expect(odd.status).toBe(404)
		expect(count('OTHER', 'unmatched', 404)).toBe(1)
		// A path we serve, with a method nobody serves there: 405, under its template.
		const res = await t.request('PROPFIND', '/api/guilds')
		expect(res.status).toBe(405)
		expect(count('OTHER', '/api/guilds', 405)).toBe(1)
		const seriesAfter = t.registry
			.render('text')
			.split('\n')
			.filter((l) => l.startsWith('http_requests_total{')).length
		expect(seriesAfter - seriesBefore).toBe(2) // OTHER/unmatched/404 and OTHER//api/guilds/405
	})

	test('histogram buckets are cumulative and +Inf equals _count', async () => {
		const text = t.registry.render('text')
		const buckets = text
			.split('\n')
			.filter((l) => l.startsWith('http_request_duration_seconds_bucket{method="GET",endpoint="/api/guilds/:guildId"'))
		expect(buckets.length).toBe(12) // 11 bounds (5 ms … 10 s) + +Inf
		const values = buckets.map((l) => Number(l.split(' ').pop()))
		for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number)
		expect(buckets.at(-1)).toContain('le="+Inf"')
		expect(values.at(-1)).toBe(histogramCount('GET', '/api/guilds/:guildId'))
		expect(buckets[0]).toContain('le="0.005"')
		expect(buckets.at(-2)).toContain('le="10"')
	})

	test('in-flight gauge returns to zero', async () => {
		await Promise.all(Array.from({ length: 10 }, () => t.request('GET', '/health/live')))
		expect(t.sample('http_requests_in_flight')).toBe(0)
	})

	test('hostile values cannot make recording throw (the process survives)', async () => {
		// NUL, a lone surrogate as invalid UTF-8, quote/backslash/newline, a 10 KB segment.
		const hostile = ['%00', '%ED%A0%80', '%22%5C%0A', 'x'.repeat(10_000), '..%2F..%2Fetc%2Fpasswd']
		for (const value of hostile) {
			const res = await t.request('GET', `/api/guilds/${value}`, {
				headers: { 'X-Correlation-ID': value.slice(0, 200), 'User-Agent': value },
			})
			expect([404, 422]).toContain(res.status)
			expect(res.json.error.correlation_id).toBeString()
		}
		expect(t.registry.render('text')).not.toContain('xxxxxxxxxx')
		expect((await t.request('GET', '/health/live')).status).toBe(200)
	})
})

describe('/metrics', () => {
	test('serves Prometheus text 0.0.4 with the seed families', async () => {
		const res = await t.request('GET', '/metrics')
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
		for (const family of [
			'http_requests_total',
			'http_request_duration_seconds',
			'db_queries_total',
			'guild_operations_total',
		])
			expect(res.text).toContain(`# TYPE ${family} `)
		expect(res.text).not.toContain('# EOF')
	})

	test('negotiates OpenMetrics with exemplars carrying the trace, span and correlation IDs', async () => {
		await t.request('GET', '/api/guilds/777', { headers: { 'X-Correlation-ID': 'exemplar-abc' } })
		const res = await t.request('GET', '/metrics', {
			headers: { Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
		})
		expect(res.headers.get('content-type')).toStartWith('application/openmetrics-text; version=1.0.0')
		expect(res.text.endsWith('# EOF\n')).toBe(true)
		expect(res.text).toContain('# TYPE http_requests counter')
		const exemplars = res.text
			.split('\n')
			.filter(
				(l) => l.startsWith('http_request_duration_seconds_bucket{') && l.includes('endpoint="/api/guilds/:guildId"'),
			)
			.filter((l) => l.includes(',correlation_id="exemplar-abc"} '))
		expect(exemplars).toHaveLength(1)
		expect(exemplars[0]).toMatch(
			/\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}",correlation_id="exemplar-abc"\} [0-9.e-]+ [0-9.]+$/,
		)
	})

	test.skipIf(!hasPromtool)('passes promtool check metrics', async () => {
		const { code, output } = await checkMetrics((await t.request('GET', '/metrics')).text)
		expect(output).toBe('')
		expect(code).toBe(0)
	})

	test('is not in the OpenAPI document; guild and health routes are', async () => {
		const doc = (await t.request('GET', '/swagger/json')).json
		const paths = Object.keys(doc.paths)
		expect(paths).not.toContain('/metrics')
		expect(paths).toContain('/api/guilds/{guildId}')
		expect(paths).toContain('/health')
		expect(paths.some((p) => p.startsWith('/swagger'))).toBe(false)
	})
})

describe('/metrics with METRICS_TOKEN', () => {
	let secured: TestApp
	beforeAll(async () => {
		secured = await createTestApp({ metricsToken: 's3cret-token' })
	})
	afterAll(() => secured.close())

	test('requires the bearer token', async () => {
		expect((await secured.request('GET', '/metrics')).status).toBe(401)
		const wrong = await secured.request('GET', '/metrics', { headers: { Authorization: 'Bearer nope' } })
		expect(wrong.status).toBe(401)
		expect(wrong.json.error.code).toBe('UNAUTHORIZED')
		expect((await secured.request('GET', '/metrics', { headers: { Authorization: 's3cret-token' } })).status).toBe(401)
		const ok = await secured.request('GET', '/metrics', { headers: { Authorization: 'Bearer s3cret-token' } })
		expect(ok.status).toBe(200)
		expect(ok.text).toContain('http_requests_total{method="GET",endpoint="/metrics",status="401"} 3')
		expect(JSON.stringify(secured.logs())).not.toContain('s3cret-token')
	})
})
