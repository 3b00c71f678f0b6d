/**
 * Exemplar label sets: trace_id/span_id (+ correlation_id when it differs and fits), the
 * OpenMetrics 128-code-point limit counted the way Prometheus counts it, escaping, and a real
 * Prometheus storing what the store renders.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import {
	EXEMPLAR_MAX_CODE_POINTS,
	ExemplarLabels,
	OPENMETRICS_CONTENT_TYPE,
	Registry,
	traceExemplar,
} from '../../src/observability/metrics/index.ts'
import { requireTools, SLOW, startPrometheus, waitFor } from '../monitoring/support.ts'
import { latencyRegistry, samples } from './helpers.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'
const UUID = '5f0c6c2e-8a0e-4c6b-9d4e-2b1f3a4c5d6e'

const codePoints = (s: string) => [...s].length

describe('traceExemplar', () => {
	test('trace_id and span_id, plus a correlation ID that differs from the trace ID', () => {
		expect(traceExemplar(TRACE, SPAN, UUID)?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN, correlation_id: UUID })
		expect(traceExemplar(TRACE, SPAN)?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN })
		expect(traceExemplar(TRACE, SPAN, '')?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN })
	})

	test('a correlation ID equal to the trace ID is not repeated', () => {
		expect(traceExemplar(TRACE, SPAN, TRACE)?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN })
	})

	test('the correlation ID is left out, not the exemplar, when the set would pass 128 code points', () => {
		// trace_id + span_id + their values are 63; correlation_id is 14: 51 code points are left.
		const fits = 'c'.repeat(51)
		const tooLong = 'c'.repeat(52)
		expect(traceExemplar(TRACE, SPAN, fits)?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN, correlation_id: fits })
		expect(traceExemplar(TRACE, SPAN, tooLong)?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN })
		expect(traceExemplar(TRACE, SPAN, 'x'.repeat(128))?.toJSON()).toEqual({ trace_id: TRACE, span_id: SPAN })
		const full = traceExemplar(TRACE, SPAN, fits)!.toJSON()
		expect(Object.entries(full).reduce((n, [k, v]) => n + codePoints(k) + codePoints(v), 0)).toBe(
			EXEMPLAR_MAX_CODE_POINTS,
		)
	})

	test('code points, not UTF-16 units or bytes, are what count', () => {
		const rockets = '🚀'.repeat(51) // 102 UTF-16 units, 204 bytes, 51 code points
		expect(traceExemplar(TRACE, SPAN, rockets)?.toJSON().correlation_id).toBe(rockets)
		expect(traceExemplar(TRACE, SPAN, `${rockets}x`)?.toJSON().correlation_id).toBeUndefined()
	})
})

describe('ExemplarLabels.of', () => {
	test('any valid label names, in order', () => {
		expect(ExemplarLabels.of({ job_id: 'j-7', attempt: '2' })?.text()).toBe('job_id="j-7",attempt="2"')
	})

	test.each([
		['empty', {}],
		['an invalid name', { 'bad-name': 'x' }],
		['a name starting with a digit', { '1a': 'x' }],
		['a value that is not a string', { a: 1 as unknown as string }],
		['129 code points', { a: 'x'.repeat(128) }],
		['129 code points of emoji', { a: '🚀'.repeat(128) }],
	])('%s → no label set', (_name, labels) => {
		expect(ExemplarLabels.of(labels)).toBeUndefined()
	})

	test('exactly 128 code points is accepted', () => {
		expect(ExemplarLabels.of({ a: 'x'.repeat(127) })).toBeInstanceOf(ExemplarLabels)
		expect(ExemplarLabels.of({ a: '🚀'.repeat(127) })).toBeInstanceOf(ExemplarLabels)
	})

	test('values are escaped like label values', () => {
		expect(ExemplarLabels.of({ note: 'a"b\\c\nd' })?.text()).toBe('note="a\\"b\\\\c\\nd"')
	})
})

describe('histogram exemplars', () => {
	test('a label set is rendered in braces after the bucket, as the latest exemplar of its bucket', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.0061, traceExemplar(TRACE, SPAN, UUID))
		series.observe(0.0067, traceExemplar(TRACE, '1111111111111111'))
		series.observe(3, 'legacy-correlation-id')
		expect(samples(registry.render('openmetrics')).slice(0, 4)).toEqual([
			'http_request_duration_seconds_bucket{le="0.005",method="GET",endpoint="/x"} 0',
			`http_request_duration_seconds_bucket{le="0.01",method="GET",endpoint="/x"} 2 # {trace_id="${TRACE}",span_id="1111111111111111"} 0.0067 1732560000.123`,
			'http_request_duration_seconds_bucket{le="1.0",method="GET",endpoint="/x"} 2',
			'http_request_duration_seconds_bucket{le="+Inf",method="GET",endpoint="/x"} 3 # {correlation_id="legacy-correlation-id"} 3 1732560000.123',
		])
		expect(registry.render('text')).not.toContain('trace_id')
	})

	test('the three labels together', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.5, traceExemplar(TRACE, SPAN, UUID))
		expect(registry.render('openmetrics')).toContain(
			`} 1 # {trace_id="${TRACE}",span_id="${SPAN}",correlation_id="${UUID}"} 0.5 1732560000.123\n`,
		)
	})

	test('an undefined exemplar (a set that did not fit) or a plain object is no exemplar', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.001, ExemplarLabels.of({ a: 'x'.repeat(200) }))
		series.observe(0.002, { trace_id: TRACE } as unknown as ExemplarLabels)
		expect(registry.render('openmetrics')).not.toContain(' # {')
	})

	test('the set is escaped once, when first rendered, and reused', () => {
		const { registry, series } = latencyRegistry()
		const labels = ExemplarLabels.of({ note: 'quote " here' })!
		series.observe(0.001, labels)
		const first = registry.render('openmetrics')
		expect(first).toContain(' # {note="quote \\" here"} 0.001 ')
		expect(registry.render('openmetrics')).toBe(first)
	})
})

describe('a real Prometheus stores the exemplars', () => {
	const { test: promTest, path } = requireTools('prometheus')
	const servers: { stop(): unknown }[] = []
	afterAll(async () => {
		for (const s of servers.splice(0)) await s.stop()
	})

	promTest(
		'trace_id, span_id and correlation_id arrive, a 128-code-point set of emoji included',
		async () => {
			const registry = new Registry()
			const histogram = registry.histogram({
				name: 'exemplar_probe_seconds',
				help: 'Exemplar probe.',
				labelNames: ['case'] as const,
				buckets: [1],
			})
			histogram.labels('with_correlation').observe(0.5, traceExemplar(TRACE, SPAN, UUID))
			histogram.labels('trace_only').observe(0.5, traceExemplar(TRACE, SPAN, 'x'.repeat(100)))
			histogram.labels('emoji_at_limit').observe(0.5, ExemplarLabels.of({ e: '🚀'.repeat(127) }))
			const target = Bun.serve({
				hostname: '127.0.0.1',
				port: 0,
				fetch: () =>
					new Response(registry.render('openmetrics'), { headers: { 'content-type': OPENMETRICS_CONTENT_TYPE } }),
			})
			servers.push(target)
			const prometheus = await startPrometheus(
				path.prometheus,
				[
					'global: { scrape_interval: 1s }',
					'scrape_configs:',
					'  - job_name: probe',
					`    static_configs: [{ targets: ['127.0.0.1:${target.port}'] }]`,
				].join('\n'),
			)
			servers.push(prometheus)
			const byCase = await waitFor(
				'three exemplars',
				async () => {
					const body = await prometheus.api<
						{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]
					>('/api/v1/query_exemplars', {
						query: 'exemplar_probe_seconds_bucket',
						start: Date.now() / 1000 - 600,
						end: Date.now() / 1000 + 60,
					})
					const found = new Map(body.data.map((s) => [s.seriesLabels.case, s.exemplars[0]?.labels]))
					return found.size === 3 ? found : undefined
				},
				{ timeoutMs: 20_000 },
			)
			expect(byCase.get('with_correlation')).toEqual({ trace_id: TRACE, span_id: SPAN, correlation_id: UUID })
			expect(byCase.get('trace_only')).toEqual({ trace_id: TRACE, span_id: SPAN })
			expect(byCase.get('emoji_at_limit')).toEqual({ e: '🚀'.repeat(127) })
			expect(prometheus.logs()).not.toContain('exemplar')
		},
		SLOW,
	)
})
