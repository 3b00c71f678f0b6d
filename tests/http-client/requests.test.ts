/**
 * What the shared client puts on the wire and how it classifies answers: JSON in/out, URL
 * building from route templates, typed errors, which methods are retried, and the
 * create-then-409 rule.
 */
import { describe, expect, test } from 'bun:test'
import {
	ApiBadResponseError,
	ApiConflictError,
	ApiError,
	ApiNotFoundError,
	ApiUnavailableError,
	createHttpClient,
} from '../../src/client/http-client'
import { errorBody, jsonResponse, scriptedServers } from './scripted-server'

const serve = scriptedServers()

const fast = { initialDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 1_000, totalTimeoutMs: 3_000 }

describe('request and response', () => {
	test('fills the route template, adds the query, sends and parses JSON', async () => {
		const server = serve((_r, _n, body) => jsonResponse({ echoed: JSON.parse(body) }, 201))
		const client = createHttpClient({ baseUrl: `${server.url}/`, ...fast, headers: { 'user-agent': 'byte-bot' } })

		const response = await client.request<{ echoed: unknown }>('PUT', '/api/guilds/:guildId/things', {
			params: { guildId: 'a b/c' },
			query: { limit: 5, skip: undefined },
			body: { name: 'Litestar' },
		})

		const received = server.requests[0]!
		expect(received.method).toBe('PUT')
		expect(received.path).toBe('/api/guilds/a%20b%2Fc/things')
		expect(received.search).toBe('?limit=5')
		expect(received.headers.get('content-type')).toBe('application/json')
		expect(received.headers.get('accept')).toBe('application/json')
		expect(received.headers.get('user-agent')).toBe('byte-bot')
		expect(response.status).toBe(201)
		expect(response.body).toEqual({ echoed: { name: 'Litestar' } })
		expect(response.conflictOnRetry).toBe(false)
	})

	test('an empty 204 resolves with an undefined body', async () => {
		const server = serve(() => new Response(null, { status: 204 }))
		const response = await createHttpClient({ baseUrl: server.url, ...fast }).request('DELETE', '/x')
		expect(response.status).toBe(204)
		expect(response.body).toBeUndefined()
	})

	test('a missing route parameter is a programming error, rejected before any request', async () => {
		const server = serve(() => jsonResponse({}))
		const client = createHttpClient({ baseUrl: server.url, ...fast })
		expect(client.request('GET', '/api/guilds/:guildId')).rejects.toThrow(TypeError)
		expect(server.requests).toHaveLength(0)
	})
})

describe('typed errors, no retry on 4xx', () => {
	const cases = [
		{ status: 404, type: ApiNotFoundError, code: 'NOT_FOUND' },
		{ status: 409, type: ApiConflictError, code: 'CONFLICT' },
		{ status: 422, type: ApiBadResponseError, code: 'VALIDATION_ERROR' },
		{ status: 400, type: ApiBadResponseError, code: 'BAD_REQUEST' },
		{ status: 500, type: ApiBadResponseError, code: 'INTERNAL_ERROR' },
	] as const
	for (const { status, type, code } of cases) {
		test(`${status} → ${type.name} with status, body and correlation ID, after one attempt`, async () => {
			const server = serve(() => jsonResponse(errorBody(code, 'nope'), status))
			const client = createHttpClient({ baseUrl: server.url, ...fast })

			const error = await client.request('GET', '/api/guilds/:guildId', { params: { guildId: '1' } }).catch((e) => e)

			expect(error).toBeInstanceOf(type)
			expect(error).toBeInstanceOf(ApiError)
			expect(error.status).toBe(status)
			expect(error.code).toBe(code)
			expect(error.body).toEqual(errorBody(code, 'nope'))
			expect(error.endpoint).toBe('/api/guilds/:guildId')
			expect(error.correlationId).toBe(server.correlationIds()[0]!)
			expect(error.attempts).toBe(1)
			expect(server.requests).toHaveLength(1)
		})
	}

	test('invalid JSON in a 200 → ApiBadResponseError carrying the text', async () => {
		const server = serve(() => new Response('<html>proxy</html>', { status: 200 }))
		const error = await createHttpClient({ baseUrl: server.url, ...fast })
			.request('GET', '/x')
			.catch((e) => e)
		expect(error).toBeInstanceOf(ApiBadResponseError)
		expect(error.status).toBe(200)
		expect(error.body).toBe('<html>proxy</html>')
	})
})

describe('non-idempotent methods', () => {
	for (const method of ['POST', 'PATCH'] as const) {
		test(`${method} is not retried by default: one 503 → ApiUnavailableError`, async () => {
			const server = serve(() => jsonResponse(errorBody('UNAVAILABLE', 'down'), 503))
			const error = await createHttpClient({ baseUrl: server.url, ...fast })
				.request(method, '/api/guilds', { body: {} })
				.catch((e) => e)
			expect(error).toBeInstanceOf(ApiUnavailableError)
			expect(error.attempts).toBe(1)
			expect(server.requests).toHaveLength(1)
		})
	}

	test('POST marked idempotent is retried', async () => {
		const server = serve((_r, n) => (n === 1 ? new Response(null, { status: 503 }) : jsonResponse({ id: 1 }, 201)))
		const response = await createHttpClient({ baseUrl: server.url, ...fast }).request('POST', '/api/guilds', {
			body: {},
			idempotent: true,
		})
		expect(response.status).toBe(201)
		expect(server.requests).toHaveLength(2)
	})
})

describe('create: 409 after a retry means an earlier attempt succeeded', () => {
	/** A server that stores the create but whose first answer is lost (the attempt times out). */
	function lossyCreateServer() {
		const created = new Set<string>()
		return serve(async (_r, n, body) => {
			const { id } = JSON.parse(body) as { id: string }
			if (created.has(id)) return jsonResponse(errorBody('CONFLICT', 'exists'), 409)
			created.add(id)
			if (n === 1) await Bun.sleep(3_000)
			return jsonResponse({ id }, 201)
		})
	}

	test('with conflictMeansSuccessOnRetry, the retried 409 resolves as success', async () => {
		const server = lossyCreateServer()
		const client = createHttpClient({ baseUrl: server.url, ...fast, attemptTimeoutMs: 500 })

		const response = await client.request('POST', '/api/guilds', {
			body: { id: '42' },
			idempotent: true,
			conflictMeansSuccessOnRetry: true,
		})

		expect(response.conflictOnRetry).toBe(true)
		expect(response.status).toBe(409)
		expect(response.attempts).toBe(2)
		expect(new Set(server.correlationIds()).size).toBe(1)
	})

	test('without the option, the retried 409 is an ApiConflictError', async () => {
		const server = lossyCreateServer()
		const client = createHttpClient({ baseUrl: server.url, ...fast, attemptTimeoutMs: 500 })
		const error = await client.request('POST', '/api/guilds', { body: { id: '42' }, idempotent: true }).catch((e) => e)
		expect(error).toBeInstanceOf(ApiConflictError)
		expect(error.attempts).toBe(2)
	})

	test('a 409 on the first attempt is a real conflict even with the option', async () => {
		const server = serve(() => jsonResponse(errorBody('CONFLICT', 'exists'), 409))
		const client = createHttpClient({ baseUrl: server.url, ...fast })
		const error = await client
			.request('POST', '/api/guilds', { body: { id: '1' }, idempotent: true, conflictMeansSuccessOnRetry: true })
			.catch((e) => e)
		expect(error).toBeInstanceOf(ApiConflictError)
		expect(error.attempts).toBe(1)
	})
})
