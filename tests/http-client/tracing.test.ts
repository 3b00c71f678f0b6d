/**
 * Trace context on the wire from the shared client: a `traceparent` on every attempt (the
 * caller's trace, the attempt's own span ID, the sampled flag), `X-Correlation-ID` beside it,
 * one exported CLIENT span per attempt when tracing is on, and trace exemplars.
 */
import { describe, expect, test } from 'bun:test'
import type { SpanContext } from '@opentelemetry/api'
import { createHttpClient } from '../../src/client/http-client'
import { runWithContext } from '../../src/observability/context'
import { Registry } from '../../src/observability/metrics'
import { parseTraceParent, parseTraceState } from '../../src/observability/trace-context'
import { disabledTracing } from '../../src/observability/tracing'
import { exportingTracing, receivers } from '../tracing/helpers'
import { closedPortUrl, jsonResponse, scriptedServers } from './scripted-server'

const serve = scriptedServers()
const collector = receivers()
const fast = { initialDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 1_000, totalTimeoutMs: 3_000 }
const flaky = () => serve((_r, n) => (n % 3 === 0 ? jsonResponse({ ok: true }) : new Response(null, { status: 503 })))

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

function parentContext(sampled: boolean, traceState?: string): SpanContext {
	return {
		traceId: TRACE,
		spanId: '00f067aa0ba902b7',
		traceFlags: sampled ? 1 : 0,
		traceState: traceState === undefined ? undefined : parseTraceState(traceState).value,
	}
}

const traceparents = (server: ReturnType<typeof serve>) =>
	server.requests.map((r) => parseTraceParent(r.headers.get('traceparent')).value!)

describe('traceparent on every attempt', () => {
	test('today’s callers (no tracing options): a valid traceparent per attempt, each its own trace, not sampled', async () => {
		const server = flaky()
		const client = createHttpClient({ baseUrl: server.url, ...fast })
		await runWithContext({ correlationId: 'discord-event-7' }, () => client.request('GET', '/x'))

		const sent = traceparents(server)
		expect(sent).toHaveLength(3)
		for (const tp of sent) expect(tp.sampled).toBe(false)
		expect(new Set(sent.map((tp) => tp.parentId)).size).toBe(3)
		expect(server.correlationIds()).toEqual(['discord-event-7', 'discord-event-7', 'discord-event-7'])
	})

	test('with a parent span: its trace ID and sampled flag on every attempt, a new span ID per attempt', async () => {
		for (const sampled of [true, false]) {
			const server = flaky()
			const parent = parentContext(sampled)
			const client = createHttpClient({ baseUrl: server.url, ...fast, getParentSpan: () => parent })
			await client.request('GET', '/api/guilds/:guildId', { params: { guildId: '1' } })

			const sent = traceparents(server)
			expect(sent.map((tp) => tp.traceId)).toEqual([TRACE, TRACE, TRACE])
			expect(sent.map((tp) => tp.sampled)).toEqual([sampled, sampled, sampled])
			const spanIds = sent.map((tp) => tp.parentId)
			expect(new Set(spanIds).size).toBe(3)
			expect(spanIds).not.toContain(parent.spanId)
			for (const r of server.requests)
				expect(r.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
		}
	})

	test('the parent’s tracestate goes along unchanged; none is sent without one', async () => {
		const server = serve(() => jsonResponse({}))
		const client = createHttpClient({
			baseUrl: server.url,
			...fast,
			getParentSpan: () => parentContext(true, 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'),
		})
		await client.request('GET', '/x')
		await createHttpClient({ baseUrl: server.url, ...fast }).request('GET', '/y')
		expect(server.requests.map((r) => r.headers.get('tracestate'))).toEqual([
			'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
			null,
		])
	})

	test('the parent is read once per call, when it starts', async () => {
		const server = flaky()
		let reads = 0
		const client = createHttpClient({
			baseUrl: server.url,
			...fast,
			getParentSpan: () => {
				reads++
				return parentContext(true)
			},
		})
		await client.request('GET', '/x')
		expect(reads).toBe(1)
	})

	test('a caller’s own traceparent header does not replace the attempt’s', async () => {
		const server = serve(() => jsonResponse({}))
		const client = createHttpClient({ baseUrl: server.url, ...fast, getParentSpan: () => parentContext(true) })
		await client.request('GET', '/x', { headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` } })
		expect(traceparents(server)[0]!.traceId).toBe(TRACE)
	})
})

describe('CLIENT spans when tracing exports', () => {
	test('one span per attempt, child of the caller’s span, matching the traceparent that went out', async () => {
		const receiver = collector()
		const { tracing } = await exportingTracing(receiver.url)
		const event = tracing.startSpan('GUILD_CREATE', { attributes: { 'discord.event': 'GUILD_CREATE' } })
		const server = flaky()
		const client = createHttpClient({ baseUrl: server.url, ...fast, tracing, getParentSpan: () => event.context })

		await client.request('GET', '/api/guilds/:guildId', { params: { guildId: '123' }, query: { expand: 'all' } })
		event.end()
		expect(await tracing.forceFlush(5000)).toBe(true)

		const spans = await receiver.waitForSpans(4)
		const attempts = spans.filter((s) => s.kind === 'CLIENT')
		expect(attempts).toHaveLength(3)
		const sent = traceparents(server)
		expect(attempts.map((s) => s.spanId).sort()).toEqual(sent.map((tp) => tp.parentId).sort())
		const byResend = (n: number | undefined) => attempts.find((s) => s.attributes['http.request.resend_count'] === n)!
		for (const [resend, status] of [
			[undefined, 503],
			[1, 503],
			[2, 200],
		] as const) {
			const span = byResend(resend)
			expect(span).toMatchObject({
				name: 'GET /api/guilds/:guildId',
				traceId: event.traceId,
				parentSpanId: event.spanId,
				attributes: {
					'http.request.method': 'GET',
					'url.full': `${server.url}/api/guilds/123`,
					'server.address': '127.0.0.1',
					'http.response.status_code': status,
				},
				status: { code: status === 200 ? 'UNSET' : 'ERROR' },
			})
		}
		expect(byResend(undefined).attributes['error.type']).toBe('503')
		expect(sent.every((tp) => tp.sampled)).toBe(true)
		await tracing.shutdown(2000)
	})

	test('an attempt with no answer: error.type says why (timeout, or the connection error)', async () => {
		const receiver = collector()
		const { tracing } = await exportingTracing(receiver.url)
		const event = tracing.startSpan('event')
		const hang = serve(() => new Promise<Response>(() => {}))
		await createHttpClient({
			baseUrl: hang.url,
			...fast,
			attemptTimeoutMs: 50,
			tracing,
			getParentSpan: () => event.context,
		})
			.request('POST', '/slow', { idempotent: false })
			.catch(() => undefined)
		await createHttpClient({ baseUrl: closedPortUrl(), ...fast, tracing, getParentSpan: () => event.context })
			.request('POST', '/down', { idempotent: false })
			.catch(() => undefined)
		event.end()
		expect(await tracing.forceFlush(5000)).toBe(true)

		const spans = await receiver.waitForSpans(3)
		const slow = spans.find((s) => s.attributes['url.full']?.toString().endsWith('/slow'))!
		expect(slow).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': 'timeout' } })
		expect(slow.attributes['http.response.status_code']).toBeUndefined()
		const down = spans.find((s) => s.attributes['url.full']?.toString().endsWith('/down'))!
		expect(down.status.code).toBe('ERROR')
		expect(down.attributes['error.type']).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/)
		expect(down.attributes['error.type']).not.toBe('timeout')
		await tracing.shutdown(2000)
	})

	test('a cancelled call still ends its attempt’s span', async () => {
		const receiver = collector()
		const { tracing } = await exportingTracing(receiver.url)
		const hang = serve(() => new Promise<Response>(() => {}))
		const controller = new AbortController()
		const pending = createHttpClient({ baseUrl: hang.url, ...fast, tracing }).request('GET', '/x', {
			signal: controller.signal,
		})
		while (hang.requests.length === 0) await Bun.sleep(5)
		controller.abort(new Error('shutting down'))
		await expect(pending).rejects.toThrow('shutting down')
		expect(await tracing.forceFlush(5000)).toBe(true)
		const [span] = await receiver.waitForSpans(1)
		expect(span).toMatchObject({ kind: 'CLIENT', attributes: { 'error.type': 'cancelled' } })
		await tracing.shutdown(2000)
	})

	test('with tracing off nothing is recorded, and the client works as before', async () => {
		const server = serve(() => jsonResponse({ ok: true }))
		const response = await createHttpClient({ baseUrl: server.url, ...fast, tracing: disabledTracing }).request<{
			ok: boolean
		}>('GET', '/x')
		expect(response.body).toEqual({ ok: true })
		expect(parseTraceParent(server.requests[0]!.headers.get('traceparent')).verdict).toBe('accepted')
	})
})

describe('exemplars', () => {
	test('each attempt’s duration carries trace_id, span_id and a differing correlation ID', async () => {
		const registry = new Registry()
		const duration = registry.histogram({
			name: 'test_api_request_duration_seconds',
			help: 'Attempt durations.',
			labelNames: ['method', 'endpoint'] as const,
			buckets: [60],
		})
		const server = serve(() => jsonResponse({}))
		const client = createHttpClient({
			baseUrl: server.url,
			...fast,
			metrics: { duration },
			getParentSpan: () => parentContext(true),
		})
		await runWithContext({ correlationId: 'cid-42' }, () => client.request('GET', '/x'))
		const spanId = traceparents(server)[0]!.parentId
		expect(registry.render('openmetrics')).toContain(
			`test_api_request_duration_seconds_bucket{le="60.0",method="GET",endpoint="/x"} 1 # {trace_id="${TRACE}",span_id="${spanId}",correlation_id="cid-42"} `,
		)

		// A correlation ID that is the trace ID is not repeated.
		await runWithContext({ correlationId: TRACE }, () => client.request('GET', '/x'))
		const secondSpan = traceparents(server)[1]!.parentId
		expect(registry.render('openmetrics')).toContain(`2 # {trace_id="${TRACE}",span_id="${secondSpan}"} `)
	})
})
