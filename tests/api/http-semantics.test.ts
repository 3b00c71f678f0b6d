/**
 * HTTP semantics of the API (README "HTTP API"): 405 with Allow, OPTIONS, HEAD wherever GET
 * works, JSON-only bodies (415), CORS by allow-list, Retry-After on every 503, and body
 * limits counted under the route that was asked.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, recorded, type TestApp } from '../helpers/app'

const ADMIN = 'https://admin.example.com'
let t: TestApp
beforeAll(async () => {
	t = await createTestApp({ level: 'info', corsOrigins: [ADMIN], bodyLimitBytes: 1024 })
	await t.request('POST', '/api/guilds', { body: { guildId: '4242', guildName: 'Semantics' } })
})
afterAll(() => t.close())

const count = (method: string, endpoint: string, status: number) =>
	t.sample(`http_requests_total{method="${method}",endpoint="${endpoint}",status="${status}"}`)

describe('methods', () => {
	test('a path we serve with a method it does not take is 405 with Allow, counted under its template', async () => {
		const before = count('DELETE', '/api/guilds', 405)
		const res = await t.request('DELETE', '/api/guilds', { headers: { 'X-Correlation-ID': 'm-405' } })
		expect(res.status).toBe(405)
		expect(res.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS')
		expect(res.headers.get('x-correlation-id')).toBe('m-405')
		expect(res.json.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', correlation_id: 'm-405' })
		expect(count('DELETE', '/api/guilds', 405)).toBe(before + 1)
		const sub = await t.request('POST', '/api/guilds/4242/github')
		expect(sub.status).toBe(405)
		expect(sub.headers.get('allow')).toBe('GET, HEAD, PUT, OPTIONS')
		expect(count('POST', '/api/guilds/:guildId/github', 405)).toBe(1)
	})

	test('OPTIONS on a path we serve is 204 with Allow; on one we do not, 404', async () => {
		const res = await t.request('OPTIONS', '/api/guilds/4242')
		expect(res.status).toBe(204)
		expect(res.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS')
		expect(count('OPTIONS', '/api/guilds/:guildId', 204)).toBe(1)
		expect((await t.request('OPTIONS', '/no/such/path')).status).toBe(404)
	})

	test('HEAD works wherever GET does: same status and headers, no body', async () => {
		for (const path of [
			'/health',
			'/health/live',
			'/api/guilds',
			'/api/guilds/4242',
			'/api/guilds/4242/forum',
			'/metrics',
		]) {
			const get = await t.request('GET', path)
			const head = await t.request('HEAD', path)
			expect(`${path} ${head.status}`).toBe(`${path} ${get.status}`)
			expect(head.text).toBe('')
			expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'))
			expect(head.headers.get('x-correlation-id')).toBeString()
		}
		expect((await t.request('HEAD', '/api/guilds/999999')).status).toBe(404)
	})
})

describe('bodies are JSON only', () => {
	test('a form posted from another site is 415 and stores nothing', async () => {
		const form = 'guildId=5151&guildName=Forged'
		for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
			const res = await t.request('POST', '/api/guilds', { body: form, headers: { 'content-type': type } })
			expect(`${type}: ${res.status}`).toBe(`${type}: 415`)
			expect(res.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
		}
		expect((await t.request('GET', '/api/guilds/5151')).status).toBe(404)
		expect(count('POST', '/api/guilds', 415)).toBe(3)
	})

	test('JSON in any case, with parameters, and +json types are accepted', async () => {
		const types = ['Application/JSON', 'application/json; charset=utf-8', 'application/merge-patch+json']
		for (const [i, type] of types.entries()) {
			const res = await t.request('PATCH', '/api/guilds/4242', {
				body: { prefix: `?${i}` },
				headers: { 'content-type': type },
			})
			expect(`${type}: ${res.status}`).toBe(`${type}: 200`)
			expect(res.json.prefix).toBe(`?${i}`)
		}
	})

	test('a body without a content type is 415 too', async () => {
		const res = await t.app.handle(
			new Request('http://localhost/api/guilds', { method: 'POST', body: new Blob(['{"guildId":"6161"}']) }),
		)
		await recorded()
		expect(res.status).toBe(415)
	})

	test('an oversized body is 413 under the route it was sent to, declared or chunked', async () => {
		const big = JSON.stringify({ guildId: '7171', guildName: 'x'.repeat(2000) })
		const declared = await t.request('POST', '/api/guilds', { body: big })
		expect(declared.status).toBe(413)
		const chunks = [big.slice(0, 600), big.slice(600)]
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				const next = chunks.shift()
				if (next === undefined) controller.close()
				else controller.enqueue(new TextEncoder().encode(next))
			},
		})
		const chunked = await t.app.handle(
			new Request('http://localhost/api/guilds', {
				method: 'POST',
				body: stream,
				headers: { 'content-type': 'application/json' },
				duplex: 'half',
			} as RequestInit),
		)
		await recorded()
		expect(chunked.status).toBe(413)
		expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
		expect(count('POST', '/api/guilds', 413)).toBe(2)
		expect(count('POST', 'unmatched', 413)).toBe(0)
	})
})

describe('CORS', () => {
	test('a listed origin is granted on successes and errors alike', async () => {
		for (const path of ['/api/guilds/4242', '/api/guilds/31337', '/nope']) {
			const res = await t.request('GET', path, { headers: { origin: ADMIN } })
			expect(res.headers.get('access-control-allow-origin')).toBe(ADMIN)
			expect(res.headers.get('vary')).toContain('Origin')
			expect(res.headers.get('access-control-expose-headers')).toBe('X-Correlation-ID')
		}
	})

	test('other origins get no grant', async () => {
		const res = await t.request('GET', '/api/guilds/4242', { headers: { origin: 'https://evil.example' } })
		expect(res.status).toBe(200)
		expect(res.headers.get('access-control-allow-origin')).toBeNull()
	})

	test('a preflight from a listed origin is 204 with the methods and headers allowed', async () => {
		const res = await t.request('OPTIONS', '/api/guilds/4242', {
			headers: {
				origin: ADMIN,
				'access-control-request-method': 'PATCH',
				'access-control-request-headers': 'authorization, content-type',
			},
		})
		expect(res.status).toBe(204)
		expect(res.headers.get('access-control-allow-origin')).toBe(ADMIN)
		expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS')
		expect(res.headers.get('access-control-allow-headers')).toBe(
			'Authorization, Content-Type, X-Correlation-ID, traceparent, tracestate',
		)
		const evil = await t.request('OPTIONS', '/api/guilds/4242', {
			headers: { origin: 'https://evil.example', 'access-control-request-method': 'PATCH' },
		})
		expect(evil.status).toBe(204)
		expect(evil.headers.get('access-control-allow-origin')).toBeNull()
		expect(evil.headers.get('access-control-allow-methods')).toBeNull()
	})

	test('without CORS_ORIGINS there are no CORS grants at all', async () => {
		const plain = await createTestApp({ level: 'warning' })
		try {
			const res = await plain.request('GET', '/health/live', { headers: { origin: ADMIN } })
			expect(res.headers.get('access-control-allow-origin')).toBeNull()
			expect(res.headers.get('vary')).toBeNull()
		} finally {
			await plain.close()
		}
	})
})

describe('503', () => {
	test('every 503 carries Retry-After, health probes included', async () => {
		const down = await createTestApp({ level: 'critical' })
		await down.database.close()
		for (const path of ['/api/guilds/4242', '/api/guilds', '/health', '/health/ready']) {
			const res = await down.request('GET', path)
			expect(`${path} ${res.status}`).toBe(`${path} 503`)
			expect(res.headers.get('retry-after')).toBe('5')
		}
		expect((await down.request('GET', '/health/live')).status).toBe(200)
	})
})
