import { describe, expect, test } from 'bun:test'
import { MetricDefinitionError, Registry } from '../../src/observability/metrics/index.ts'

const help = 'Something worth counting.'

describe('metric definitions are validated when declared', () => {
	test.each(['', '1_total', 'http-requests_total', 'a b_total', 'é_total'])('counter name %p is rejected', (name) => {
		expect(() => new Registry().counter({ name, help })).toThrow(MetricDefinitionError)
	})

	test('a name that is not a string is rejected', () => {
		expect(() => new Registry().gauge({ name: 42 as unknown as string, help })).toThrow(/name must match/)
	})

	test('colons are allowed in metric names', () => {
		expect(() => new Registry().gauge({ name: 'job:requests:rate5m', help })).not.toThrow()
	})

	test.each(['1method', 'end-point', 'a b', '', '__name'])('label name %p is rejected', (label) => {
		expect(() => new Registry().counter({ name: 'x_total', help, labelNames: [label] })).toThrow(/label name/)
	})

	test('repeated label names are rejected', () => {
		expect(() => new Registry().counter({ name: 'x_total', help, labelNames: ['a', 'a'] })).toThrow(/repeated/)
	})

	test('histograms reserve "le"', () => {
		expect(() => new Registry().histogram({ name: 'h_seconds', help, labelNames: ['le'] })).toThrow(/"le"/)
		expect(() => new Registry().counter({ name: 'c_total', help, labelNames: ['le'] })).not.toThrow()
	})

	test.each(['', '   ', undefined])('help %p is rejected', (badHelp) => {
		expect(() => new Registry().gauge({ name: 'g', help: badHelp as string })).toThrow(/help/)
	})

	test('counters must end in _total, and only counters may', () => {
		const registry = new Registry()
		expect(() => registry.counter({ name: 'http_requests', help })).toThrow(/must end in "_total"/)
		expect(() => registry.counter({ name: '_total', help })).toThrow(/must end in "_total"/)
		expect(() => registry.gauge({ name: 'queue_total', help })).toThrow(/only counters/)
		expect(() => registry.histogram({ name: 'latency_total', help })).toThrow(/only counters/)
	})

	test.each([
		[[0.1, 0.05], /ascending/],
		[[0.1, 0.1], /ascending/],
		[[0.1, Number.NaN], /finite/],
		[[0.1, Infinity], /\+Inf is added automatically/],
		[['0.1'], /finite/],
	] as const)('buckets %p are rejected', (buckets, message) => {
		expect(() =>
			new Registry().histogram({ name: 'h_seconds', help, buckets: buckets as unknown as number[] }),
		).toThrow(message)
	})

	test.each([0, -1, 1.5, Number.NaN])('a series cap of %p is rejected', (cap) => {
		expect(() => new Registry({ maxSeriesPerMetric: cap })).toThrow(/maxSeries/)
		expect(() => new Registry().gauge({ name: 'g', help, maxSeries: cap })).toThrow(/maxSeries/)
	})
})

describe('registration', () => {
	test('registering a name twice throws, whatever the type', () => {
		const registry = new Registry()
		registry.counter({ name: 'jobs_total', help })
		expect(() => registry.counter({ name: 'jobs_total', help })).toThrow(/already registered/)
		registry.gauge({ name: 'queue_depth', help })
		expect(() => registry.histogram({ name: 'queue_depth', help })).toThrow(/already registered/)
	})

	test('names whose samples or OpenMetrics families would collide are rejected', () => {
		const registry = new Registry()
		registry.counter({ name: 'jobs_total', help })
		expect(() => registry.gauge({ name: 'jobs', help })).toThrow(/collides with "jobs_total"/)
		registry.histogram({ name: 'job_duration_seconds', help })
		expect(() => registry.gauge({ name: 'job_duration_seconds_count', help })).toThrow(/collides/)
		expect(() => registry.counter({ name: 'metrics_series_dropped_total', help })).toThrow(/already registered/)
	})

	test('a rejected definition leaves the registry unchanged', () => {
		const registry = new Registry()
		registry.gauge({ name: 'g', help })
		const before = registry.render()
		expect(() => registry.gauge({ name: 'g', help: 'other' })).toThrow()
		expect(() => registry.gauge({ name: 'bad-name', help })).toThrow()
		expect(registry.render()).toBe(before)
	})

	test('registries are independent: the same name can live in two of them', () => {
		new Registry().counter({ name: 'jobs_total', help })
		expect(() => new Registry().counter({ name: 'jobs_total', help })).not.toThrow()
	})
})

describe('label values are typed by the label-name tuple', () => {
	test('arity and types are checked at compile time, and arity again at run time', () => {
		const registry = new Registry()
		const requests = registry.counter({ name: 'r_total', help, labelNames: ['method', 'status'] as const })
		const ticks = registry.counter({ name: 'ticks_total', help })
		const latency = registry.histogram({ name: 'l_seconds', help, labelNames: ['method'] })
		const depth = registry.gauge({ name: 'depth', help, labelNames: ['queue'] })
		registry.counter({
			name: 'ext_total',
			help,
			labelNames: ['kind'],
			collect: (c) => {
				c.labels('a').set(1)
				// @ts-expect-error absolute set() needs label values on a labelled counter
				c.set(1)
			},
		})

		requests.labels('GET', '200').inc()
		ticks.inc()
		ticks.labels().inc()
		latency.labels('GET').observe(0.1, 'corr-1')
		depth.labels('jobs').set(3)

		// @ts-expect-error too few label values
		expect(() => requests.labels('GET')).toThrow(RangeError)
		// @ts-expect-error too many label values
		expect(() => requests.labels('GET', '200', 'extra')).toThrow(RangeError)
		// @ts-expect-error label values are strings
		requests.labels('GET', 200)
		// @ts-expect-error inc() without labels only exists on unlabelled counters
		expect(() => requests.inc()).toThrow(TypeError)
		// @ts-expect-error observe() without labels only exists on unlabelled histograms
		expect(() => latency.observe(1)).toThrow(/use \.labels/)
		// @ts-expect-error set() without labels only exists on unlabelled gauges
		expect(() => depth.set(1)).toThrow(TypeError)
		// @ts-expect-error an unlabelled counter takes no label values
		expect(() => ticks.labels('x')).toThrow(RangeError)
		// @ts-expect-error plain counters cannot be set; only collect callbacks may
		requests.labels('GET', '200').set?.(5)
	})
})
