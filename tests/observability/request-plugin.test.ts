/**
 * The request plugin (src/server/request-observability.ts): it must see every response and
 * record each request once, whatever the handler returned or threw.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'

let t: TestApp
beforeAll(async () => {
	t = await createTestApp({ level: 'info' })
	t.app
		// A response whose headers refuse changes (a proxied fetch() response may): it is copied.
		.get('/test/sealed', () => {
			const response = new Response('sealed', { status: 202 })
			Object.defineProperty(response.headers, 'set', {
				value: () => {
					throw new TypeError('immutable headers')
				},
			})
			return response
		})
		.get('/test/slow', async () => {
			await Bun.sleep(5)
			return { slow: true }
		})
})
afterAll(() => t.close())

describe('the request plugin', () => {
	test('a response with immutable headers still gets the correlation headers, body and status intact', async () => {
		const res = await t.request('GET', '/test/sealed', { headers: { 'X-Correlation-ID': 'sealed-1' } })
		expect(res.status).toBe(202)
		expect(res.text).toBe('sealed')
		expect(res.headers.get('x-correlation-id')).toBe('sealed-1')
		expect(res.headers.get('access-control-expose-headers')).toBe('X-Correlation-ID')
	})

	test('asynchronous handlers are recorded once, with their route and duration', async () => {
		const before = t.sample('http_requests_total{method="GET",endpoint="/test/slow",status="200"}')
		t.clearLogs()
		const res = await t.request('GET', '/test/slow', { headers: { 'X-Correlation-ID': 'slow-1' } })
		expect(res.json).toEqual({ slow: true })
		expect(t.sample('http_requests_total{method="GET",endpoint="/test/slow",status="200"}')).toBe(before + 1)
		const lines = t.logs().filter((l) => l.event === 'Request completed')
		expect(lines).toHaveLength(1)
		expect(lines[0]).toMatchObject({ correlation_id: 'slow-1', endpoint: '/test/slow', status: 200 })
		expect(lines[0]?.duration_ms as number).toBeGreaterThanOrEqual(4)
	})

	test('HEAD requests carry the headers and are counted under their own method', async () => {
		const before = t.sample('http_requests_total{method="HEAD",endpoint="/health/live",status="200"}')
		const res = await t.request('HEAD', '/health/live', { headers: { 'X-Correlation-ID': 'head-1' } })
		expect(res.status).toBe(200)
		expect(res.text).toBe('')
		expect(res.headers.get('x-correlation-id')).toBe('head-1')
		expect(t.sample('http_requests_total{method="HEAD",endpoint="/health/live",status="200"}')).toBe(before + 1)
	})

	test('the in-flight gauge returns to zero after success, errors and unknown routes', async () => {
		await Promise.all([
			t.request('GET', '/test/slow'),
			t.request('GET', '/no/such/route'),
			t.request('POST', '/api/guilds', { body: '{not json' }),
			t.request('GET', '/health/live'),
		])
		expect(t.sample('http_requests_in_flight')).toBe(0)
	})

	test('unknown paths, whatever the method, get the JSON 404 and count as unmatched', async () => {
		for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
			const series = `http_requests_total{method="${method === 'PROPFIND' ? 'OTHER' : method}",endpoint="unmatched",status="404"}`
			const before = t.sample(series)
			const res = await t.request(method, '/no/such/thing', { headers: { 'X-Correlation-ID': `nf-${method}` } })
			expect(res.status).toBe(404)
			expect(res.json).toEqual({
				error: { code: 'NOT_FOUND', message: 'No route matches this method and path', correlation_id: `nf-${method}` },
			})
			expect(t.sample(series)).toBe(before + 1)
		}
		expect(t.registry.render('text')).not.toContain('endpoint="/*"')
		const doc = (await t.request('GET', '/swagger/json')).json as { paths: Record<string, unknown> }
		expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([])
	})
})
