/**
 * What the shared client tells operators: the correlation ID on the wire (from the async
 * context, stable across retries), "API request"/"API response" log lines, and the metrics
 * hooks rendered by a real registry.
 */
import { describe, expect, test } from 'bun:test'
import { createHttpClient } from '../../src/client/http-client'
import { runWithContext } from '../../src/observability/context'
import { createLogger, loggerFor } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'
import { closedPortUrl, jsonResponse, scriptedServers } from './scripted-server'

const serve = scriptedServers()

/** Fails twice with 503, then succeeds: three attempts per call. */
const flaky = () => serve((_r, n) => (n % 3 === 0 ? jsonResponse({ ok: true }) : new Response(null, { status: 503 })))
const fast = { initialDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 1_000, totalTimeoutMs: 3_000 }

function capturingLogger() {
	const chunks: string[] = []
	const root = createLogger({
		format: 'json',
		level: 'debug',
		sink: { write: (chunk: string) => void chunks.push(chunk), flush: () => {} },
	})
	const lines = () =>
		chunks
			.join('')
			.split('\n')
			.filter(Boolean)
			.map((l) => JSON.parse(l) as Record<string, any>)
	return { logger: loggerFor(root, 'bot.api'), lines }
}

describe('correlation ID', () => {
	test('the async context’s ID goes out on every attempt, retries included', async () => {
		const server = flaky()
		const client = createHttpClient({ baseUrl: server.url, ...fast })

		const response = await runWithContext({ correlationId: 'discord-event-42' }, () => client.request('GET', '/x'))

		expect(server.correlationIds()).toEqual(['discord-event-42', 'discord-event-42', 'discord-event-42'])
		expect(response.correlationId).toBe('discord-event-42')
	})

	test('two calls in one context share the ID: one event, one ID', async () => {
		const server = serve(() => jsonResponse({}))
		const client = createHttpClient({ baseUrl: server.url, ...fast })
		await runWithContext({ correlationId: 'one-event' }, async () => {
			await client.request('GET', '/a')
			await client.request('GET', '/b')
		})
		expect(server.correlationIds()).toEqual(['one-event', 'one-event'])
	})

	test('outside any context, each call generates its own UUID and keeps it across its retries', async () => {
		const server = flaky()
		const client = createHttpClient({ baseUrl: server.url, ...fast })

		await client.request('GET', '/first')
		await client.request('GET', '/second')

		const ids = server.correlationIds()
		expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
		expect(new Set(ids.slice(0, 3)).size).toBe(1)
		expect(new Set(ids.slice(3)).size).toBe(1)
		expect(ids[3]).not.toBe(ids[0])
	})
})

describe('log lines', () => {
	test('API request (debug) and API response per attempt, with the template, status, attempt and duration', async () => {
		const server = flaky()
		const { logger, lines } = capturingLogger()
		const client = createHttpClient({ baseUrl: server.url, ...fast, logger, random: () => 0 })

		await runWithContext({ correlationId: 'cid-1' }, () =>
			client.request('GET', '/api/guilds/:guildId', { params: { guildId: '123' } }),
		)

		const events = lines().map((l) => `${l.level} ${l.event}`)
		expect(events).toEqual([
			'debug API request',
			'warning API response',
			'info API request will be retried',
			'debug API request',
			'warning API response',
			'info API request will be retried',
			'debug API request',
			'info API response',
		])
		for (const line of lines()) {
			expect(line).toMatchObject({ logger: 'bot.api', method: 'GET', endpoint: '/api/guilds/:guildId' })
			expect(line.correlation_id).toBe('cid-1')
		}
		const last = lines().at(-1)!
		expect(last).toMatchObject({ status: 200, attempt: 3 })
		expect(last.duration_ms).toBeNumber()
		expect(JSON.stringify(lines())).not.toContain('/api/guilds/123')
	})

	test('outside a context the generated ID is still on every line', async () => {
		const server = serve(() => jsonResponse({}))
		const { logger, lines } = capturingLogger()
		const response = await createHttpClient({ baseUrl: server.url, ...fast, logger }).request('GET', '/x')
		expect(lines().map((l) => l.correlation_id)).toEqual([response.correlationId, response.correlationId])
	})

	test('a network failure is a warning with the error; giving up is an error', async () => {
		const { logger, lines } = capturingLogger()
		const client = createHttpClient({ baseUrl: closedPortUrl(), ...fast, totalTimeoutMs: 100, logger })
		await client.request('GET', '/x').catch(() => undefined)

		const failed = lines().find((l) => l.event === 'API request failed')!
		expect(failed.level).toBe('warning')
		expect(failed.failure).toBe('network_error')
		expect(failed.reason).toBeString()
		expect(failed.error).toBeUndefined()
		const gaveUp = lines().at(-1)!
		expect(gaveUp).toMatchObject({ level: 'error', event: 'API unavailable; giving up', failure: 'network_error' })
		expect(gaveUp.error.stack).toBeString()
	})
})

describe('metrics hooks', () => {
	test('each attempt is counted and timed by method, template and status; retries are counted', async () => {
		const registry = new Registry()
		const metrics = {
			requests: registry.counter({
				name: 'test_api_requests_total',
				help: 'Attempts.',
				labelNames: ['method', 'endpoint', 'status'] as const,
			}),
			duration: registry.histogram({
				name: 'test_api_request_duration_seconds',
				help: 'Attempt durations.',
				labelNames: ['method', 'endpoint'] as const,
			}),
			retries: registry.counter({
				name: 'test_api_retries_total',
				help: 'Retries.',
				labelNames: ['method', 'endpoint'] as const,
			}),
		}
		const server = flaky()
		const client = createHttpClient({ baseUrl: server.url, ...fast, metrics })

		await client.request('GET', '/api/guilds/:guildId', { params: { guildId: '1' } })
		await createHttpClient({ baseUrl: closedPortUrl(), ...fast, metrics })
			.request('DELETE', '/api/guilds/:guildId', { params: { guildId: '1' }, idempotent: false })
			.catch(() => undefined)

		const text = registry.render('text')
		const attempts = (method: string, status: string) =>
			`test_api_requests_total{method="${method}",endpoint="/api/guilds/:guildId",status="${status}"}`
		expect(text).toContain(`${attempts('GET', '503')} 2`)
		expect(text).toContain(`${attempts('GET', '200')} 1`)
		expect(text).toContain(`${attempts('DELETE', 'network_error')} 1`)
		expect(text).toContain('test_api_retries_total{method="GET",endpoint="/api/guilds/:guildId"} 2')
		expect(text).toContain('test_api_request_duration_seconds_count{method="GET",endpoint="/api/guilds/:guildId"} 3')
	})
})
