/**
 * Span export end to end: the official SDK and OTLP/HTTP exporters, configured from the
 * standard variables, sending to a local receiver that decodes protobuf and JSON with the
 * OpenTelemetry protocol definitions. What arrives is what a collector would store.
 */
import { describe, expect, test } from 'bun:test'
import type { SpanContext } from '@opentelemetry/api'
import { formatTraceParent, parseTraceParent, parseTraceState } from '../../src/observability/trace-context'
import { SpanKind, type Tracing } from '../../src/observability/tracing'
import type { DecodedSpan } from '../helpers/otlp-receiver'
import { exportingTracing, INSTANCE_ID, receivers, SERVICE_VERSION } from './helpers'

const serve = receivers()

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

function inbound(header: string, state?: string) {
	const parent = parseTraceParent(header).value!
	return { ...parent, traceState: state === undefined ? undefined : parseTraceState(state).value }
}

async function flushed(tracing: Tracing) {
	expect(await tracing.forceFlush(5000)).toBe(true)
}

const byName = (spans: DecodedSpan[], name: string) => {
	const found = spans.filter((s) => s.name === name)
	expect(found.map((s) => s.name)).toEqual([name])
	return found[0]!
}

describe.each(['http/protobuf', 'http/json'] as const)('%s', (protocol) => {
	test('a SERVER span continues the inbound trace, named by method and route', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		const span = tracing.startHttpServerSpan({
			method: 'GET',
			url: 'http://127.0.0.1:8000/api/guilds/123?limit=5&token=secret',
			parent: inbound(`00-${TRACE}-${PARENT}-01`, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
		})
		expect(span.traceId).toBe(TRACE)
		expect(span.spanId).not.toBe(PARENT)
		expect(span.sampled).toBe(true)
		span.end({ status: 200, route: '/api/guilds/:guildId' })
		await flushed(tracing)

		const [exported] = await receiver.waitForSpans(1)
		expect(exported).toMatchObject({
			traceId: TRACE,
			spanId: span.spanId,
			parentSpanId: PARENT,
			traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
			name: 'GET /api/guilds/:guildId',
			kind: 'SERVER',
			status: { code: 'UNSET' },
			attributes: {
				'http.request.method': 'GET',
				'url.scheme': 'http',
				'url.path': '/api/guilds/123',
				'http.route': '/api/guilds/:guildId',
				'http.response.status_code': 200,
			},
			scope: { name: 'byte', version: SERVICE_VERSION },
		})
		expect(exported!.resource).toMatchObject({
			'service.name': 'byte-api',
			'service.version': SERVICE_VERSION,
			'service.instance.id': INSTANCE_ID,
		})
		expect(JSON.stringify(exported, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('secret')
		expect(exported!.endTimeUnixNano).toBeGreaterThanOrEqual(exported!.startTimeUnixNano)
		expect(receiver.exports[0]).toMatchObject({ protocol, path: '/v1/traces' })
		expect(receiver.rejected).toEqual([])
		await tracing.shutdown(2000)
	})

	test('paths no route serves: named by the method alone, without http.route', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		tracing.startHttpServerSpan({ method: 'GET', url: 'http://h/wp-admin/../etc/passwd' }).end({ status: 404 })
		await flushed(tracing)
		const [exported] = await receiver.waitForSpans(1)
		expect(exported!.name).toBe('GET')
		expect(exported!.attributes['http.route']).toBeUndefined()
		expect(exported!.attributes['http.response.status_code']).toBe(404)
		expect(exported!.status.code).toBe('UNSET')
		expect(exported!.parentSpanId).toBeUndefined()
		await tracing.shutdown(2000)
	})

	test('5xx is an error with error.type (the thrown class, else the status); 4xx is not', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		class DatabaseUnavailableError extends Error {}
		const thrown = new DatabaseUnavailableError('password=hunter2 in a driver message')
		tracing.startHttpServerSpan({ method: 'POST', url: 'http://h/a' }).end({ status: 503, route: '/a', error: thrown })
		tracing.startHttpServerSpan({ method: 'POST', url: 'http://h/b' }).end({ status: 500, route: '/b' })
		tracing.startHttpServerSpan({ method: 'POST', url: 'http://h/c' }).end({ status: 422, route: '/c', error: thrown })
		await flushed(tracing)
		const spans = await receiver.waitForSpans(3)
		expect(byName(spans, 'POST /a')).toMatchObject({
			status: { code: 'ERROR' },
			attributes: { 'error.type': 'DatabaseUnavailableError', 'http.response.status_code': 503 },
		})
		expect(byName(spans, 'POST /b')).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': '500' } })
		const clientError = byName(spans, 'POST /c')
		expect(clientError.status.code).toBe('UNSET')
		expect(clientError.attributes['error.type']).toBeUndefined()
		expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('hunter2')
		await tracing.shutdown(2000)
	})

	test('unknown methods are _OTHER, with the original kept, and the span is named HTTP', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		tracing.startHttpServerSpan({ method: 'BREW', url: 'http://h/pot' }).end({ status: 405, route: '/pot' })
		await flushed(tracing)
		const [exported] = await receiver.waitForSpans(1)
		expect(exported).toMatchObject({
			name: 'HTTP /pot',
			attributes: { 'http.request.method': '_OTHER', 'http.request.method_original': 'BREW' },
		})
		await tracing.shutdown(2000)
	})

	test('CLIENT spans: children of their parent, url.full without query or credentials, resend count', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		const event = tracing.startSpan('GUILD_CREATE', {
			kind: SpanKind.CONSUMER,
			attributes: { 'discord.event': 'GUILD_CREATE', 'discord.shard': 0 },
		})
		const url = 'http://bot:s3cret@127.0.0.1:8000/api/guilds?limit=5'
		const first = tracing.startHttpClientSpan({ parent: event.context, method: 'POST', url, route: '/api/guilds' })
		first.end({ status: 503 })
		const retry = tracing.startHttpClientSpan({
			parent: event.context,
			method: 'POST',
			url,
			route: '/api/guilds',
			resendCount: 1,
		})
		retry.end({ status: 201 })
		const timedOut = tracing.startHttpClientSpan({ parent: event.context, method: 'GET', url: 'https://api.example' })
		timedOut.end({ errorType: 'timeout' })
		event.end()
		await flushed(tracing)

		const spans = await receiver.waitForSpans(4)
		const root = byName(spans, 'GUILD_CREATE')
		expect(root).toMatchObject({
			kind: 'CONSUMER',
			attributes: { 'discord.event': 'GUILD_CREATE', 'discord.shard': 0 },
		})
		const attempts = spans.filter((s) => s.name === 'POST /api/guilds')
		expect(attempts.map((s) => s.spanId).sort()).toEqual([first.spanId, retry.spanId].sort())
		for (const attempt of attempts) {
			expect(attempt).toMatchObject({ kind: 'CLIENT', traceId: root.traceId, parentSpanId: root.spanId })
			expect(attempt.attributes).toMatchObject({
				'http.request.method': 'POST',
				'url.full': 'http://127.0.0.1:8000/api/guilds',
				'server.address': '127.0.0.1',
				'server.port': 8000,
			})
		}
		const [failed, succeeded] = [first, retry].map((s) => attempts.find((a) => a.spanId === s.spanId)!)
		expect(failed).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': '503' } })
		expect(failed!.attributes['http.request.resend_count']).toBeUndefined()
		expect(succeeded).toMatchObject({
			status: { code: 'UNSET' },
			attributes: { 'http.response.status_code': 201, 'http.request.resend_count': 1 },
		})
		expect(byName(spans, 'GET')).toMatchObject({
			status: { code: 'ERROR' },
			attributes: { 'error.type': 'timeout', 'url.full': 'https://api.example/', 'server.port': 443 },
		})
		expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('s3cret')
		// The outbound header names the attempt as the parent of whatever the server does.
		expect(formatTraceParent(retry)).toBe(`00-${root.traceId}-${retry.spanId}-01`)
		await tracing.shutdown(2000)
	})

	test('database statements: CLIENT children with the statement text, timed by their measured duration', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		const request = tracing.startHttpServerSpan({ method: 'GET', url: 'http://h/api/guilds/1' })
		const sql = 'select "guild_id", "guild_name" from "guilds" where "guilds"."guild_id" = $1'
		tracing.recordDatabaseStatement(request.context, { sql, operation: 'SELECT', seconds: 0.25 })
		const failure = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })
		tracing.recordDatabaseStatement(request.context, {
			sql: 'insert into "guilds" values ($1)',
			operation: 'INSERT',
			seconds: 0.001,
			error: failure,
		})
		tracing.recordDatabaseStatement(request.context, {
			sql: 'begin',
			operation: 'OTHER',
			seconds: 0.001,
			error: new TypeError('socket closed'),
		})
		request.end({ status: 200, route: '/api/guilds/:guildId' })
		await flushed(tracing)

		const spans = await receiver.waitForSpans(4)
		const select = byName(spans, 'SELECT')
		expect(select).toMatchObject({
			kind: 'CLIENT',
			traceId: request.traceId,
			parentSpanId: request.spanId,
			status: { code: 'UNSET' },
			attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT', 'db.query.text': sql },
		})
		const nanos = select.endTimeUnixNano - select.startTimeUnixNano
		expect(Number(nanos) / 1e9).toBeCloseTo(0.25, 3)
		expect(byName(spans, 'INSERT')).toMatchObject({
			status: { code: 'ERROR' },
			attributes: { 'error.type': '23505', 'db.response.status_code': '23505' },
		})
		const other = byName(spans, 'postgresql')
		expect(other.attributes['db.operation.name']).toBeUndefined()
		expect(other.attributes['error.type']).toBe('TypeError')
		expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('duplicate key')
		await tracing.shutdown(2000)
	})

	test('a failed internal span is an error with the class name, never the message', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { protocol })
		tracing
			.startSpan('/config', { attributes: { 'discord.command': 'config' } })
			.end({ error: new RangeError('token=abc') })
		await flushed(tracing)
		const [exported] = await receiver.waitForSpans(1)
		expect(exported).toMatchObject({
			kind: 'INTERNAL',
			status: { code: 'ERROR' },
			attributes: { 'discord.command': 'config', 'error.type': 'RangeError' },
		})
		expect(exported!.events).toEqual([])
		await tracing.shutdown(2000)
	})

	test('OTEL_EXPORTER_OTLP_HEADERS and the traces-specific endpoint reach the collector', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing('http://ignored.invalid:1', {
			protocol,
			env: {
				OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
				OTEL_EXPORTER_OTLP_HEADERS: 'api-key=k%20ey,x-tenant=byte',
				OTEL_SERVICE_NAME: 'byte-api-canary',
			},
		})
		tracing.startSpan('probe').end()
		await flushed(tracing)
		const [received] = await receiver.waitForExports(1)
		expect(received!.path).toBe('/custom/traces')
		expect(received!.headers.get('api-key')).toBe('k ey')
		expect(received!.headers.get('x-tenant')).toBe('byte')
		expect(received!.headers.get('content-type')).toBe(
			protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
		)
		expect(received!.spans[0]!.resource['service.name']).toBe('byte-api-canary')
		await tracing.shutdown(2000)
	})
})

describe('sampling', () => {
	/** Starts a server span per case, then a marker, flushes, and returns which were exported. */
	async function exportedUnder(env: Record<string, string>, parents: (string | undefined)[]) {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url, { env })
		const started = parents.map((header, i) =>
			tracing.startHttpServerSpan({
				method: 'GET',
				url: `http://h/case/${i}`,
				parent: header === undefined ? undefined : inbound(header),
			}),
		)
		for (const s of started) s.end({ status: 200 })
		await flushed(tracing)
		const paths = new Set(receiver.spans().map((s) => s.attributes['url.path']))
		await tracing.shutdown(2000)
		return { exported: parents.map((_, i) => paths.has(`/case/${i}`)), sampled: started.map((s) => s.sampled) }
	}
	const SAMPLED = `00-${TRACE}-${PARENT}-01`
	const NOT_SAMPLED = `00-${TRACE}-${PARENT}-00`

	test('default parentbased_always_on: new traces and sampled callers are exported, unsampled callers are not', async () => {
		expect(await exportedUnder({}, [undefined, SAMPLED, NOT_SAMPLED])).toEqual({
			exported: [true, true, false],
			sampled: [true, true, false],
		})
	})

	test('always_on records even under an unsampled caller; always_off never records', async () => {
		expect(await exportedUnder({ OTEL_TRACES_SAMPLER: 'always_on' }, [NOT_SAMPLED, undefined])).toEqual({
			exported: [true, true],
			sampled: [true, true],
		})
		expect(await exportedUnder({ OTEL_TRACES_SAMPLER: 'always_off' }, [SAMPLED, undefined])).toEqual({
			exported: [false, false],
			sampled: [false, false],
		})
	})

	test('traceidratio 0 and 1; parentbased_traceidratio follows a sampled caller', async () => {
		expect(
			await exportedUnder({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, [undefined, SAMPLED]),
		).toEqual({ exported: [false, false], sampled: [false, false] })
		expect(
			await exportedUnder({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, [undefined]),
		).toEqual({ exported: [true], sampled: [true] })
		expect(
			await exportedUnder({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, [
				undefined,
				SAMPLED,
			]),
		).toEqual({ exported: [false, true], sampled: [false, true] })
	})

	test('children follow their parent’s decision; the outbound flag says so', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url)
		const unsampled = tracing.startHttpServerSpan({ method: 'GET', url: 'http://h/', parent: inbound(NOT_SAMPLED) })
		const child = tracing.startHttpClientSpan({ parent: unsampled.context, method: 'GET', url: 'http://x/' })
		tracing.recordDatabaseStatement(unsampled.context, { sql: 'select 1', operation: 'SELECT', seconds: 0 })
		expect(child.sampled).toBe(false)
		expect(formatTraceParent(child)).toBe(`00-${TRACE}-${child.spanId}-00`)
		child.end({ status: 200 })
		unsampled.end({ status: 200 })
		tracing.startSpan('marker').end()
		await flushed(tracing)
		expect(receiver.spans().map((s) => s.name)).toEqual(['marker'])
		await tracing.shutdown(2000)
	})
})

describe('parents passed explicitly', () => {
	test('no global context: a span started with no parent is a root, whatever was started before', async () => {
		const receiver = serve()
		const { tracing } = await exportingTracing(receiver.url)
		const first = tracing.startSpan('first')
		const second = tracing.startSpan('second')
		const child = tracing.startSpan('child', { parent: first.context satisfies SpanContext })
		for (const s of [child, second, first]) s.end()
		await flushed(tracing)
		const spans = await receiver.waitForSpans(3)
		expect(byName(spans, 'second').parentSpanId).toBeUndefined()
		expect(byName(spans, 'second').traceId).not.toBe(first.traceId)
		expect(byName(spans, 'child')).toMatchObject({ traceId: first.traceId, parentSpanId: first.spanId })
		await tracing.shutdown(2000)
	})
})
