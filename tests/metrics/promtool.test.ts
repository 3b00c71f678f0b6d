import { describe, expect, test } from 'bun:test'
import { Registry } from '../../src/observability/metrics/index.ts'
import { registerProcessMetrics } from '../../src/observability/process-metrics.ts'
import { checkMetrics, requirePromtool } from '../helpers/promtool.ts'

const skipPromtool = !requirePromtool('promtool check metrics')

const HOSTILE_LABEL_VALUES = [
	'plain',
	'quote " inside',
	'back\\slash\\',
	'new\nline\r\n',
	'nul\u0000byte',
	'lone high \uD800 surrogate',
	'lone low \uDFFF surrogate',
	'reversed pair \uDC00\uD800',
	'tab\tand\u007f del',
	'emoji 🚀 and ünïcödé',
	'',
	'x'.repeat(10 * 1024),
	'\\"\\n',
]

/** A registry exercising every type, label shape and edge value the store can render. */
function richRegistry(): Registry {
	const registry = new Registry({ maxSeriesPerMetric: HOSTILE_LABEL_VALUES.length + 2 })
	registerProcessMetrics(registry, { version: '0.1.0-"beta"\n' })

	const requests = registry.counter({
		name: 'http_requests_total',
		help: 'Total HTTP requests handled, by "method", endpoint\\route and status.\nSecond line.',
		labelNames: ['method', 'endpoint', 'status'] as const,
	})
	const latency = registry.histogram({
		name: 'http_request_duration_seconds',
		help: 'HTTP request latency in seconds.',
		labelNames: ['method', 'endpoint'] as const,
	})
	for (const [i, value] of HOSTILE_LABEL_VALUES.entries()) {
		requests.labels('GET', value, '200').inc(i + 1)
		latency.labels(value, '/api/guilds/:guildId').observe(i / 10, `corr-${i}`)
	}
	// Force the overflow series and the dropped-series self-metric into the output.
	for (let i = 0; i < 10; i++) requests.labels('GET', `/raw/${i}`, '404').inc()

	registry.counter({ name: 'db_queries_total', help: 'Database queries.', labelNames: ['operation'] })
	registry.gauge({ name: 'http_requests_in_flight', help: 'Requests being served.' }).set(0)
	const odd = registry.gauge({ name: 'edge_values', help: 'Non-finite values.', labelNames: ['kind'] })
	odd.labels('nan').set(Number.NaN)
	odd.labels('inf').set(Infinity)
	odd.labels('minus_inf').set(-Infinity)
	odd.labels('tiny').set(5e-324)
	odd.labels('huge').set(Number.MAX_VALUE)
	const h = registry.histogram({ name: 'payload_size_bytes', help: 'Payload sizes.', buckets: [1e-9, 1, 1e21] })
	h.observe(Infinity)
	h.observe(-1)
	return registry
}

describe('promtool check metrics', () => {
	test.skipIf(skipPromtool)('accepts a rich registry with hostile label values', async () => {
		const text = richRegistry().render('text')
		expect(text.isWellFormed()).toBe(true)
		expect(text).toContain('method="__overflow__"')
		expect(text).toContain('metrics_series_dropped_total{metric="http_requests_total"} 8')

		const { code: exitCode, output } = await checkMetrics(text)
		expect(output).toBe('')
		expect(exitCode).toBe(0)
	})

	test.skipIf(skipPromtool)('really rejects broken exposition (the check is not vacuous)', async () => {
		const good = richRegistry().render('text')
		const broken = good.replace(
			'http_requests_total{method="GET",endpoint="plain"',
			'http_requests_total{method="GET",endpoint="pla"in"',
		)
		expect(broken).not.toBe(good)
		expect((await checkMetrics(broken)).code).not.toBe(0)
		const lint = (await checkMetrics('# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n')).output
		expect(lint).toContain('counter metrics should have "_total" suffix')
	})
})
