/**
 * Export off: no SDK, no exporter, yet every span still has IDs for logs, exemplars and
 * outbound headers, and continued traces keep their caller's trace ID and sampled flag.
 */
import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../src/observability/logger'
import {
	formatTraceParent,
	isValidSpanId,
	isValidTraceId,
	parseTraceParent,
	parseTraceState,
} from '../../src/observability/trace-context'
import { createTracing, disabledTracing } from '../../src/observability/tracing'
import { parseTracingConfig, type TracingConfig } from '../../src/observability/tracing-config'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

function configFrom(env: Record<string, string>): TracingConfig {
	const parsed = parseTracingConfig(env, { serviceName: 'byte-api' })
	if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
	return parsed.config
}

describe('createTracing without export', () => {
	test('no endpoint, or OTEL_SDK_DISABLED=true with one: the disabled tracing, not an SDK', async () => {
		const logger = createLogger()
		const envs: Record<string, string>[] = [
			{},
			{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' },
		]
		for (const env of envs) {
			const tracing = await createTracing({ config: configFrom(env), serviceVersion: '0', logger })
			expect(tracing).toBe(disabledTracing)
			expect(tracing.exporting).toBe(false)
		}
	})
})

describe('disabledTracing', () => {
	test('a new trace: fresh valid IDs, not sampled, a non-recording span with the same context', () => {
		const span = disabledTracing.startHttpServerSpan({ method: 'GET', url: 'http://h/x' })
		expect(isValidTraceId(span.traceId) && isValidSpanId(span.spanId)).toBe(true)
		expect(span.sampled).toBe(false)
		expect(span.span.isRecording()).toBe(false)
		expect(span.span.spanContext()).toEqual(span.context)
		expect(span.context).toMatchObject({ traceId: span.traceId, spanId: span.spanId, traceFlags: 0 })
		span.end({ status: 500, error: new Error('x') })
		expect(formatTraceParent(span)).toBe(`00-${span.traceId}-${span.spanId}-00`)
	})

	test('a continued trace keeps the trace ID, the sampled flag and the trace state; the span ID is new', () => {
		for (const flags of ['01', '00']) {
			const parent = {
				...parseTraceParent(`00-${TRACE}-${PARENT}-${flags}`).value!,
				traceState: parseTraceState('rojo=00f067aa0ba902b7').value,
			}
			const span = disabledTracing.startHttpServerSpan({ method: 'GET', url: 'http://h/x', parent })
			expect(span.traceId).toBe(TRACE)
			expect(span.spanId).not.toBe(PARENT)
			expect(span.sampled).toBe(flags === '01')
			expect(span.context.traceState?.serialize()).toBe('rojo=00f067aa0ba902b7')
			const child = disabledTracing.startHttpClientSpan({ parent: span.context, method: 'GET', url: 'http://a/' })
			expect(child).toMatchObject({ traceId: TRACE, sampled: flags === '01' })
			expect(child.spanId).not.toBe(span.spanId)
			expect(child.context.traceState?.serialize()).toBe('rojo=00f067aa0ba902b7')
		}
	})

	test('every span gets its own ID; roots get their own trace', () => {
		const ids = new Set<string>()
		const traces = new Set<string>()
		for (let i = 0; i < 1000; i++) {
			const s = disabledTracing.startSpan('event')
			ids.add(s.spanId)
			traces.add(s.traceId)
			s.end()
		}
		expect(ids.size).toBe(1000)
		expect(traces.size).toBe(1000)
	})

	test('database statements, flushes and shutdown are no-ops that succeed', async () => {
		const span = disabledTracing.startSpan('x')
		disabledTracing.recordDatabaseStatement(span.context, { sql: 'select 1', seconds: 0.001 })
		expect(await disabledTracing.forceFlush(10)).toBe(true)
		expect(await disabledTracing.shutdown(10)).toEqual({ flushed: true })
	})
})
