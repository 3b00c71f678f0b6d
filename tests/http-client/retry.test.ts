/**
 * Retry, backoff, timeout and budget behaviour of the shared client against a real server.
 * Delays are shrunk through options so the suite stays fast. Upper bounds on elapsed time
 * allow SLACK_MS for a loaded machine: far below what an unbounded wait would take.
 */
import { describe, expect, test } from 'bun:test'
import { ApiUnavailableError, createHttpClient } from '../../src/client/http-client'
import { closedPortUrl, errorBody, jsonResponse, scriptedServers } from './scripted-server'

const serve = scriptedServers()

const SLACK_MS = 600
const fast = { initialDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 1_000, totalTimeoutMs: 5_000 }

describe('retries', () => {
	for (const status of [502, 503, 504, 429]) {
		test(`retries a GET answered ${status}, then returns the success`, async () => {
			const server = serve((_r, n) =>
				n < 3 ? jsonResponse(errorBody('BUSY', 'later'), status) : jsonResponse({ ok: true }),
			)
			const client = createHttpClient({ baseUrl: server.url, ...fast })

			const response = await client.request<{ ok: boolean }>('GET', '/thing')

			expect(response.body).toEqual({ ok: true })
			expect(response.attempts).toBe(3)
			expect(server.requests).toHaveLength(3)
		})
	}

	test('retries network errors until the budget runs out, then throws ApiUnavailableError with the cause', async () => {
		const client = createHttpClient({ baseUrl: closedPortUrl(), ...fast, totalTimeoutMs: 300 })
		const started = performance.now()

		const error = await client.request('GET', '/thing').catch((e) => e)

		const elapsed = performance.now() - started
		expect(error).toBeInstanceOf(ApiUnavailableError)
		expect(error.status).toBeUndefined()
		expect(error.attempts).toBeGreaterThan(2)
		expect(error.cause).toBeInstanceOf(Error)
		expect(elapsed).toBeLessThan(300 + SLACK_MS)
	})

	test('a hanging attempt is abandoned after attemptTimeoutMs and the next one succeeds', async () => {
		const server = serve(async (_r, n) => {
			if (n === 1) await Bun.sleep(5_000)
			return jsonResponse({ attempt: n })
		})
		const client = createHttpClient({ baseUrl: server.url, ...fast, attemptTimeoutMs: 300 })
		const started = performance.now()

		const response = await client.request<{ attempt: number }>('GET', '/slow')

		expect(response.body).toEqual({ attempt: 2 })
		expect(performance.now() - started).toBeLessThan(300 + SLACK_MS)
	})

	test('gives up within totalTimeoutMs when the API keeps answering 503', async () => {
		const server = serve(() => jsonResponse(errorBody('UNAVAILABLE', 'db down'), 503))
		const client = createHttpClient({ baseUrl: server.url, ...fast, totalTimeoutMs: 400 })
		const started = performance.now()

		const error = await client.request('GET', '/thing').catch((e) => e)

		expect(error).toBeInstanceOf(ApiUnavailableError)
		expect(server.requests.length).toBeGreaterThan(3)
		expect(performance.now() - started).toBeLessThan(400 + SLACK_MS)
		if (error.status === undefined) {
			// On a loaded machine the budget can run out while the last attempt is on its way;
			// that attempt has no status and may not have reached the server.
			expect([0, 1]).toContain(error.attempts - server.requests.length)
		} else {
			expect(error.attempts).toBe(server.requests.length)
			expect(error.status).toBe(503)
			expect(error.body).toEqual(errorBody('UNAVAILABLE', 'db down'))
		}
	})

	test('the budget also bounds a single slow attempt', async () => {
		const server = serve(async () => {
			await Bun.sleep(5_000)
			return jsonResponse({})
		})
		const client = createHttpClient({ baseUrl: server.url, ...fast, attemptTimeoutMs: 5_000, totalTimeoutMs: 200 })
		const started = performance.now()

		const error = await client.request('GET', '/thing').catch((e) => e)

		expect(error).toBeInstanceOf(ApiUnavailableError)
		expect(performance.now() - started).toBeLessThan(200 + SLACK_MS)
	})
})

describe('backoff', () => {
	/** Records the waits the client asks for, and waits for real (briefly). */
	function recordingSleep(delays: number[]) {
		return (ms: number) => {
			delays.push(ms)
			return Bun.sleep(1)
		}
	}

	test('doubles from initialDelayMs, is capped at maxDelayMs, and draws uniformly below the ceiling', async () => {
		const fiveFailures = () => serve((_r, n) => (n <= 5 ? new Response(null, { status: 503 }) : jsonResponse({})))
		const highDraws: number[] = []
		const halfDraws: number[] = []
		const base = { initialDelayMs: 20, maxDelayMs: 80, totalTimeoutMs: 5_000 }

		const client = (random: number, delays: number[]) =>
			createHttpClient({ ...base, baseUrl: fiveFailures().url, random: () => random, sleep: recordingSleep(delays) })
		await client(0.999, highDraws).request('GET', '/a')
		await client(0.5, halfDraws).request('GET', '/b')

		expect(highDraws).toEqual([19, 39, 79, 79, 79])
		expect(halfDraws).toEqual([10, 20, 40, 40, 40])
	})

	test('Retry-After in seconds is honoured instead of the backoff', async () => {
		const server = serve((_r, n) =>
			n === 1 ? jsonResponse(errorBody('RATE_LIMITED', 'slow down'), 429, { 'Retry-After': '1' }) : jsonResponse({}),
		)
		const client = createHttpClient({ baseUrl: server.url, ...fast, random: () => 0 })

		await client.request('GET', '/limited')

		const [first, second] = server.requests
		expect(second!.at - first!.at).toBeGreaterThanOrEqual(990)
	})

	test('Retry-After as an HTTP-date is honoured, measured against the wall clock', async () => {
		const retryAt = 'Wed, 21 Oct 2026 07:28:00 GMT'
		const server = serve((_r, n) =>
			n === 1 ? new Response(null, { status: 503, headers: { 'Retry-After': retryAt } }) : jsonResponse({}),
		)
		const delays: number[] = []
		const client = createHttpClient({
			baseUrl: server.url,
			...fast,
			now: () => Date.parse(retryAt) - 300,
			sleep: recordingSleep(delays),
		})

		await client.request('GET', '/later')

		expect(delays).toEqual([300])
	})

	test('a Retry-After beyond the budget gives up at once rather than waiting past it', async () => {
		const server = serve(() => new Response(null, { status: 503, headers: { 'Retry-After': '120' } }))
		const client = createHttpClient({ baseUrl: server.url, ...fast, totalTimeoutMs: 1_000 })

		const error = await client.request('GET', '/thing').catch((e) => e)

		expect(error).toBeInstanceOf(ApiUnavailableError)
		expect(server.requests).toHaveLength(1)
	})

	test('a caller abort stops the waiting between attempts and surfaces the abort reason', async () => {
		const server = serve(() => new Response(null, { status: 503, headers: { 'Retry-After': '5' } }))
		const client = createHttpClient({ baseUrl: server.url, ...fast, totalTimeoutMs: 60_000 })
		const controller = new AbortController()
		setTimeout(() => controller.abort(new Error('shutting down')), 100)

		const error = await client.request('GET', '/thing', { signal: controller.signal }).catch((e) => e)

		expect(error).toEqual(new Error('shutting down'))
		expect(server.requests).toHaveLength(1)
	})
})
