import { describe, expect, test } from 'bun:test'
import { Registry } from '../../src/observability/metrics/index.ts'
import { family, samples } from './helpers.ts'

const help = 'Help text.'

describe('text format 0.0.4', () => {
	test('a counter renders HELP, TYPE and one line per label set', () => {
		const registry = new Registry()
		const requests = registry.counter({
			name: 'http_requests_total',
			help: 'Total HTTP requests.',
			labelNames: ['method', 'endpoint', 'status'] as const,
		})
		requests.labels('GET', '/x', '200').inc()
		requests.labels('GET', '/x', '200').inc(2)
		requests.labels('POST', '/api/guilds', '201').inc(0.5)

		expect(family(registry.render('text'), 'http_requests_total')).toBe(
			[
				'# HELP http_requests_total Total HTTP requests.',
				'# TYPE http_requests_total counter',
				'http_requests_total{method="GET",endpoint="/x",status="200"} 3',
				'http_requests_total{method="POST",endpoint="/api/guilds",status="201"} 0.5',
			].join('\n'),
		)
	})

	test('the whole exposition is families back to back, the self-metric first', () => {
		const registry = new Registry()
		registry.counter({ name: 'ticks_total', help }).inc()
		expect(registry.render()).toBe(
			[
				"# HELP metrics_series_dropped_total Label sets recorded into a metric's __overflow__ series because it reached its series cap.",
				'# TYPE metrics_series_dropped_total counter',
				'# HELP ticks_total Help text.',
				'# TYPE ticks_total counter',
				'ticks_total 1',
				'',
			].join('\n'),
		)
	})

	test('unlabelled metrics expose 0 before anything is recorded; labelled ones only their header', () => {
		const registry = new Registry()
		registry.counter({ name: 'ticks_total', help })
		registry.gauge({ name: 'depth', help, labelNames: ['queue'] })
		const text = registry.render()
		expect(samples(family(text, 'ticks_total'))).toEqual(['ticks_total 0'])
		expect(family(text, 'depth')).toBe('# HELP depth Help text.\n# TYPE depth gauge')
	})

	test('a gauge goes up and down and takes any number', () => {
		const registry = new Registry()
		const inflight = registry.gauge({ name: 'http_requests_in_flight', help, labelNames: ['method'] })
		const get = inflight.labels('GET')
		get.inc()
		get.inc(5)
		get.dec(2)
		inflight.labels('PUT').set(-1.25)
		const temperature = registry.gauge({ name: 'temperature_celsius', help, labelNames: ['sensor'] })
		temperature.labels('a').set(Number.NaN)
		temperature.labels('b').set(Infinity)
		temperature.labels('c').set(-Infinity)
		temperature.labels('d').set(1e21)
		temperature.labels('e').set(1e-7)
		temperature.labels('f').set(-7)
		temperature.labels('g').set(-0)
		temperature.labels('h').set(Number.MAX_SAFE_INTEGER)
		temperature.labels('i').set(2 ** 53 + 2)
		temperature.labels('j').set(-1234567890123)
		temperature.labels('k').set(0.1 + 0.2)

		expect(samples(family(registry.render(), 'http_requests_in_flight'))).toEqual([
			'http_requests_in_flight{method="GET"} 4',
			'http_requests_in_flight{method="PUT"} -1.25',
		])
		expect(samples(family(registry.render(), 'temperature_celsius'))).toEqual([
			'temperature_celsius{sensor="a"} NaN',
			'temperature_celsius{sensor="b"} +Inf',
			'temperature_celsius{sensor="c"} -Inf',
			'temperature_celsius{sensor="d"} 1e+21',
			'temperature_celsius{sensor="e"} 1e-7',
			'temperature_celsius{sensor="f"} -7',
			'temperature_celsius{sensor="g"} 0',
			'temperature_celsius{sensor="h"} 9007199254740991',
			'temperature_celsius{sensor="i"} 9007199254740994',
			'temperature_celsius{sensor="j"} -1234567890123',
			'temperature_celsius{sensor="k"} 0.30000000000000004',
		])
	})

	test('histogram buckets are cumulative, le is inclusive, and +Inf equals _count', () => {
		const registry = new Registry()
		const latency = registry.histogram({
			name: 'http_request_duration_seconds',
			help: 'Request latency.',
			labelNames: ['method', 'endpoint'] as const,
			buckets: [0.005, 0.01, 0.1],
		})
		const series = latency.labels('GET', '/x')
		for (const v of [0.001, 0.005, 0.0067, 0.05, 0.1, 2]) series.observe(v)

		expect(family(registry.render(), 'http_request_duration_seconds')).toBe(
			[
				'# HELP http_request_duration_seconds Request latency.',
				'# TYPE http_request_duration_seconds histogram',
				'http_request_duration_seconds_bucket{method="GET",endpoint="/x",le="0.005"} 2',
				'http_request_duration_seconds_bucket{method="GET",endpoint="/x",le="0.01"} 3',
				'http_request_duration_seconds_bucket{method="GET",endpoint="/x",le="0.1"} 5',
				'http_request_duration_seconds_bucket{method="GET",endpoint="/x",le="+Inf"} 6',
				'http_request_duration_seconds_sum{method="GET",endpoint="/x"} 2.1627',
				'http_request_duration_seconds_count{method="GET",endpoint="/x"} 6',
			].join('\n'),
		)
	})

	test('an unlabelled histogram uses the default buckets and bare _sum/_count', () => {
		const registry = new Registry()
		const h = registry.histogram({ name: 'job_duration_seconds', help })
		h.observe(0.3)
		h.observe(7)
		const lines = samples(family(registry.render(), 'job_duration_seconds'))
		expect(lines).toHaveLength(12 + 2)
		expect(lines[0]).toBe('job_duration_seconds_bucket{le="0.005"} 0')
		expect(lines).toContain('job_duration_seconds_bucket{le="0.5"} 1')
		expect(lines).toContain('job_duration_seconds_bucket{le="10"} 2')
		expect(lines.slice(-3)).toEqual([
			'job_duration_seconds_bucket{le="+Inf"} 2',
			'job_duration_seconds_sum 7.3',
			'job_duration_seconds_count 2',
		])
	})

	test('a series object can be held and reused; label lookups return the same series', () => {
		const registry = new Registry()
		const requests = registry.counter({ name: 'r_total', help, labelNames: ['status'] })
		const ok = requests.labels('200')
		expect(requests.labels('200')).toBe(ok)
		for (let i = 0; i < 1000; i++) ok.inc()
		expect(samples(registry.render())).toEqual(['r_total{status="200"} 1000'])
	})

	test('non-string label values are coerced, so 200 and "200" are one series', () => {
		const registry = new Registry()
		const requests = registry.counter({ name: 'r_total', help, labelNames: ['status'] })
		requests.labels('200').inc()
		requests.labels(200 as unknown as string).inc()
		expect(samples(registry.render())).toEqual(['r_total{status="200"} 2'])
	})
})

describe('weird input never throws and never corrupts a series', () => {
	test('counters ignore negative, NaN and non-number increments', () => {
		const registry = new Registry()
		const c = registry.counter({ name: 'c_total', help })
		c.inc(-1)
		c.inc(Number.NaN)
		c.inc('2' as unknown as number)
		c.inc(null as unknown as number)
		c.inc(0)
		c.inc(1.5)
		expect(samples(registry.render())).toEqual(['c_total 1.5'])
	})

	test('histograms ignore NaN and non-numbers; infinities land in the edge buckets', () => {
		const registry = new Registry()
		const h = registry.histogram({ name: 'h_seconds', help, buckets: [1] })
		h.observe(Number.NaN)
		h.observe('0.5' as unknown as number)
		h.observe(undefined as unknown as number)
		h.observe(-Infinity)
		h.observe(Infinity)
		h.observe(0.5, 42 as unknown as string)
		expect(samples(registry.render())).toEqual([
			'h_seconds_bucket{le="1"} 2',
			'h_seconds_bucket{le="+Inf"} 3',
			'h_seconds_sum NaN',
			'h_seconds_count 3',
		])
	})

	test('gauges ignore NaN increments and non-numbers', () => {
		const registry = new Registry()
		const g = registry.gauge({ name: 'g', help })
		g.set(3)
		g.inc(Number.NaN)
		g.dec(Number.NaN)
		g.set('7' as unknown as number)
		expect(samples(registry.render())).toEqual(['g 3'])
	})
})

describe('escaping', () => {
	test('label values escape backslash, double quote and newline', () => {
		const registry = new Registry()
		const c = registry.counter({ name: 'c_total', help, labelNames: ['path'] })
		c.labels('a\\b"c\nd').inc()
		expect(samples(registry.render())).toEqual(['c_total{path="a\\\\b\\"c\\nd"} 1'])
	})

	test('HELP escapes backslash and newline but leaves quotes alone in text format', () => {
		const registry = new Registry()
		registry.gauge({ name: 'g', help: 'A "quoted" C:\\path\nsecond line' })
		expect(registry.render().split('\n')).toContain('# HELP g A "quoted" C:\\\\path\\nsecond line')
	})

	test('lone surrogates become U+FFFD and NUL passes through', () => {
		const registry = new Registry()
		const c = registry.counter({ name: 'c_total', help, labelNames: ['v'] })
		c.labels('x\uD800y').inc()
		c.labels('\uDC00').inc()
		c.labels('nul\u0000').inc()
		c.labels('emoji 🚀').inc()
		const text = registry.render()
		expect(text.isWellFormed()).toBe(true)
		expect(samples(text)).toEqual([
			'c_total{v="x\uFFFDy"} 1',
			'c_total{v="\uFFFD"} 1',
			'c_total{v="nul\u0000"} 1',
			'c_total{v="emoji 🚀"} 1',
		])
	})
})

describe('collect callbacks', () => {
	test('run on every render and may set absolute counter totals and gauge values', () => {
		let total = 10
		let level = 1
		const registry = new Registry()
		registry.counter({ name: 'ext_total', help, collect: (c) => c.set(total) })
		registry.gauge({
			name: 'pool_connections',
			help,
			labelNames: ['state'],
			collect: (g) => {
				g.labels('idle').set(level)
				g.labels('busy').set(level * 2)
			},
		})
		expect(samples(registry.render())).toEqual([
			'ext_total 10',
			'pool_connections{state="idle"} 1',
			'pool_connections{state="busy"} 2',
		])
		total = 12.5
		level = 3
		expect(samples(registry.render())).toEqual([
			'ext_total 12.5',
			'pool_connections{state="idle"} 3',
			'pool_connections{state="busy"} 6',
		])
	})

	test('a throwing collect keeps the last value, is reported, and the scrape still succeeds', () => {
		const errors: string[] = []
		let fail = false
		const registry = new Registry({ onCollectError: (error, metric) => errors.push(`${metric}: ${String(error)}`) })
		registry.gauge({
			name: 'flaky',
			help,
			collect: (g) => {
				if (fail) throw new Error('boom')
				g.set(7)
			},
		})
		registry.gauge({ name: 'steady', help }).set(1)
		registry.render()
		fail = true
		expect(samples(registry.render())).toEqual(['flaky 7', 'steady 1'])
		expect(errors).toEqual(['flaky: Error: boom'])
	})

	test('a throwing error handler does not break the scrape either', () => {
		const registry = new Registry({
			onCollectError: () => {
				throw new Error('handler broke')
			},
		})
		registry.gauge({
			name: 'flaky',
			help,
			collect: () => {
				throw new Error('boom')
			},
		})
		expect(() => registry.render()).not.toThrow()
		expect(samples(registry.render())).toEqual(['flaky 0'])
	})
})
