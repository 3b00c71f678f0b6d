import { describe, expect, test } from 'bun:test'
import {
	negotiate,
	type NegotiatedFormat,
	OPENMETRICS_CONTENT_TYPE,
	Registry,
	TEXT_CONTENT_TYPE,
} from '../../src/observability/metrics/index.ts'
import { family, latencyRegistry, NOW, samples } from './helpers.ts'

const help = 'Help text.'

describe('OpenMetrics 1.0', () => {
	test('counter families drop _total in HELP/TYPE, samples keep it, output ends with # EOF', () => {
		const registry = new Registry()
		const requests = registry.counter({
			name: 'http_requests_total',
			help: 'Total "HTTP" requests.',
			labelNames: ['method', 'endpoint', 'status'],
		})
		requests.labels('GET', '/x', '200').inc(3)
		const text = registry.render('openmetrics')

		expect(family(text, 'http_requests')).toBe(
			[
				'# HELP http_requests Total \\"HTTP\\" requests.',
				'# TYPE http_requests counter',
				'http_requests_total{method="GET",endpoint="/x",status="200"} 3',
			].join('\n'),
		)
		expect(text.endsWith('\n# EOF\n')).toBe(true)
		expect(text.indexOf('# EOF')).toBe(text.length - '# EOF\n'.length)
	})

	test('histogram buckets carry the latest exemplar observed in that bucket', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.0061, 'first')
		series.observe(0.0067, 'abc')
		series.observe(0.5)
		series.observe(3, 'slow-one')

		expect(family(registry.render('openmetrics'), 'http_request_duration_seconds')).toBe(
			[
				'# HELP http_request_duration_seconds Request latency.',
				'# TYPE http_request_duration_seconds histogram',
				'http_request_duration_seconds_bucket{le="0.005",method="GET",endpoint="/x"} 0',
				'http_request_duration_seconds_bucket{le="0.01",method="GET",endpoint="/x"} 2 # {correlation_id="abc"} 0.0067 1732560000.123',
				'http_request_duration_seconds_bucket{le="1.0",method="GET",endpoint="/x"} 3',
				'http_request_duration_seconds_bucket{le="+Inf",method="GET",endpoint="/x"} 4 # {correlation_id="slow-one"} 3 1732560000.123',
				'http_request_duration_seconds_sum{method="GET",endpoint="/x"} 3.5128',
				'http_request_duration_seconds_count{method="GET",endpoint="/x"} 4',
			].join('\n'),
		)
	})

	test('the text format never shows exemplars', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.0067, 'abc')
		expect(registry.render('text')).not.toContain('correlation_id')
	})

	test('exemplars over 128 code points (label name included) are skipped, not emitted', () => {
		const { registry, series } = latencyRegistry()
		const limit = 128 - 'correlation_id'.length
		series.observe(0.001, 'a'.repeat(limit))
		series.observe(0.002, 'b'.repeat(limit + 1)) // too long: the previous exemplar stays
		series.observe(0.007, '🚀'.repeat(limit)) // 2 UTF-16 units each, still `limit` code points
		series.observe(0.008, '🚀'.repeat(limit + 1))
		series.observe(0.5, '')

		const lines = samples(registry.render('openmetrics'))
		expect(lines[0]).toBe(
			`http_request_duration_seconds_bucket{le="0.005",method="GET",endpoint="/x"} 2 # {correlation_id="${'a'.repeat(limit)}"} 0.001 1732560000.123`,
		)
		expect(lines[1]).toBe(
			`http_request_duration_seconds_bucket{le="0.01",method="GET",endpoint="/x"} 4 # {correlation_id="${'🚀'.repeat(limit)}"} 0.007 1732560000.123`,
		)
		expect(lines[2]).toBe('http_request_duration_seconds_bucket{le="1.0",method="GET",endpoint="/x"} 5')
	})

	test('exemplar values are escaped like label values', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.001, 'a"b\\c\nd\uD800')
		expect(registry.render('openmetrics')).toContain(' # {correlation_id="a\\"b\\\\c\\nd\uFFFD"} 0.001 ')
	})

	test('unlabelled histograms put le alone in braces; gauges look as in text', () => {
		const registry = new Registry({ now: () => NOW })
		const h = registry.histogram({ name: 'job_duration_seconds', help, buckets: [1, 2.5] })
		h.observe(2, 'job-7')
		registry.gauge({ name: 'depth', help }).set(4)
		const text = registry.render('openmetrics')
		expect(samples(family(text, 'job_duration_seconds'))).toEqual([
			'job_duration_seconds_bucket{le="1.0"} 0',
			'job_duration_seconds_bucket{le="2.5"} 1 # {correlation_id="job-7"} 2 1732560000.123',
			'job_duration_seconds_bucket{le="+Inf"} 1',
			'job_duration_seconds_sum 2',
			'job_duration_seconds_count 1',
		])
		expect(family(text, 'depth')).toBe('# HELP depth Help text.\n# TYPE depth gauge\ndepth 4')
	})

	test('every line is a well-formed OpenMetrics line, families are contiguous', () => {
		const { registry, series } = latencyRegistry()
		series.observe(0.003, 'x')
		registry
			.counter({ name: 'jobs_total', help, labelNames: ['kind'] })
			.labels('a\n"b')
			.inc()
		registry.gauge({ name: 'temp', help }).set(Number.NaN)
		const lines = registry.render('openmetrics').split('\n')
		expect(lines.pop()).toBe('')
		expect(lines.pop()).toBe('# EOF')

		const label = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"'
		const labels = `\\{(?:${label}(?:,${label})*)?\\}`
		const number = '(?:[+-]?Inf|NaN|-?\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?)'
		const sample = new RegExp(
			`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:${labels})? ${number}(?: # ${labels} ${number} ${number})?$`,
		)
		const seenFamilies = new Set<string>()
		let current = ''
		let type = ''
		for (const line of lines) {
			const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
			if (meta) {
				if (meta[1] === 'HELP') {
					expect(seenFamilies.has(meta[2]!)).toBe(false)
					seenFamilies.add(meta[2]!)
					current = meta[2]!
				} else {
					expect(meta[2]).toBe(current)
					type = meta[3]!
				}
				continue
			}
			const match = sample.exec(line)
			expect(match, line).not.toBeNull()
			const suffixes = { counter: ['_total'], gauge: [''], histogram: ['_bucket', '_sum', '_count'] }[type]
			expect(suffixes?.map((s) => current + s)).toContain(match![1]!)
		}
	})
})

describe('negotiate', () => {
	const text: NegotiatedFormat = { format: 'text', contentType: TEXT_CONTENT_TYPE }
	const openMetrics: NegotiatedFormat = { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE }

	test('content types are the exact ones scrapers expect', () => {
		expect(TEXT_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
		expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
	})

	test.each([
		[null, 'text'],
		['', 'text'],
		['*/*', 'text'],
		['text/plain', 'text'],
		['text/plain;version=0.0.4;q=1,*/*;q=0.1', 'text'],
		['application/openmetrics-text', 'openmetrics'],
		['Application/OpenMetrics-Text; Version=1.0.0', 'openmetrics'],
		// Prometheus 2.x scrape header.
		[
			'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
			'openmetrics',
		],
		// Prometheus 3.x scrape header.
		[
			'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
			'openmetrics',
		],
		['text/plain;q=0.9, application/openmetrics-text;q=0.5', 'text'],
		['application/openmetrics-text;q=0', 'text'],
		['application/openmetrics-text;version=2.0.0', 'text'],
		['application/json', 'text'],
		[';;;,,=,q=,;q', 'text'],
	] as const)('%p → %s', (accept, format) => {
		expect(negotiate(accept)).toEqual(format === 'text' ? text : openMetrics)
	})
})
