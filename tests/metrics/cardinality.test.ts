import { describe, expect, test } from 'bun:test'
import { Registry } from '../../src/observability/metrics/index.ts'
import { family, samples } from './helpers.ts'

const help = 'Help text.'

function dropped(registry: Registry): string[] {
	return samples(family(registry.render(), 'metrics_series_dropped_total'))
}

describe('cardinality cap', () => {
	test('label sets past the cap collapse into one __overflow__ series and are counted', () => {
		const registry = new Registry({ maxSeriesPerMetric: 2 })
		const requests = registry.counter({ name: 'r_total', help, labelNames: ['method', 'path'] })
		requests.labels('GET', '/a').inc()
		requests.labels('GET', '/b').inc()
		requests.labels('GET', '/c').inc() // over the cap
		requests.labels('POST', '/a').inc(2) // over the cap, new first-level value
		requests.labels('GET', '/a').inc() // existing series keep working at the cap

		expect(samples(family(registry.render(), 'r_total'))).toEqual([
			'r_total{method="GET",path="/a"} 2',
			'r_total{method="GET",path="/b"} 1',
			'r_total{method="__overflow__",path="__overflow__"} 3',
		])
		expect(dropped(registry)).toEqual(['metrics_series_dropped_total{metric="r_total"} 2'])
	})

	test('the cap is per metric and overridable per metric', () => {
		const registry = new Registry({ maxSeriesPerMetric: 1 })
		const small = registry.gauge({ name: 'small', help, labelNames: ['k'] })
		const large = registry.gauge({ name: 'large', help, labelNames: ['k'], maxSeries: 3 })
		for (const k of ['a', 'b', 'c', 'd']) {
			small.labels(k).set(1)
			large.labels(k).set(1)
		}
		expect(small.seriesCount).toBe(2)
		expect(large.seriesCount).toBe(4)
		expect(samples(family(registry.render(), 'large'))).toEqual([
			'large{k="a"} 1',
			'large{k="b"} 1',
			'large{k="c"} 1',
			'large{k="__overflow__"} 1',
		])
		expect(dropped(registry)).toEqual([
			'metrics_series_dropped_total{metric="small"} 3',
			'metrics_series_dropped_total{metric="large"} 1',
		])
	})

	test('histograms overflow the same way', () => {
		const registry = new Registry({ maxSeriesPerMetric: 1 })
		const h = registry.histogram({ name: 'h_seconds', help, labelNames: ['route'], buckets: [1] })
		h.labels('/a').observe(0.5)
		h.labels('/b').observe(2)
		h.labels('/c').observe(0.1)
		expect(samples(family(registry.render(), 'h_seconds')).slice(4)).toEqual([
			'h_seconds_bucket{route="__overflow__",le="1"} 1',
			'h_seconds_bucket{route="__overflow__",le="+Inf"} 2',
			'h_seconds_sum{route="__overflow__"} 2.1',
			'h_seconds_count{route="__overflow__"} 2',
		])
	})

	test('asking for __overflow__ by name reaches the overflow series, never a duplicate of it', () => {
		const registry = new Registry({ maxSeriesPerMetric: 1 })
		const c = registry.counter({ name: 'c_total', help, labelNames: ['k'] })
		c.labels('__overflow__').inc()
		c.labels('a').inc()
		c.labels('b').inc()
		expect(samples(family(registry.render(), 'c_total'))).toEqual(['c_total{k="__overflow__"} 2', 'c_total{k="a"} 1'])
		expect(dropped(registry)).toEqual(['metrics_series_dropped_total{metric="c_total"} 1'])
	})

	test('nothing is dropped below the cap: the self-metric has no series', () => {
		const registry = new Registry()
		const c = registry.counter({ name: 'c_total', help, labelNames: ['k'] })
		for (let i = 0; i < 100; i++) c.labels(String(i)).inc()
		expect(dropped(registry)).toEqual([])
	})

	test('a flood of 100k distinct label sets keeps series and memory flat', () => {
		const cap = 1000
		const registry = new Registry({ maxSeriesPerMetric: cap })
		const requests = registry.counter({
			name: 'http_requests_total',
			help,
			labelNames: ['method', 'endpoint', 'status'],
		})
		const latency = registry.histogram({ name: 'latency_seconds', help, labelNames: ['endpoint'] })
		const record = (i: number) => {
			requests.labels('GET', `/raw/path/${i}`, '200').inc()
			latency.labels(`/raw/path/${i}`).observe(0.01, `corr-${i}`)
		}
		for (let i = 0; i < cap; i++) record(i)
		registry.render()
		Bun.gc(true)
		const before = process.memoryUsage().heapUsed

		for (let i = cap; i < 100_000; i++) record(i)
		Bun.gc(true)
		const growth = process.memoryUsage().heapUsed - before

		expect(requests.seriesCount).toBe(cap + 1)
		expect(latency.seriesCount).toBe(cap + 1)
		const text = registry.render()
		expect(samples(family(text, 'http_requests_total'))).toHaveLength(cap + 1)
		expect(samples(family(text, 'http_requests_total')).at(-1)).toBe(
			'http_requests_total{method="__overflow__",endpoint="__overflow__",status="__overflow__"} 99000',
		)
		expect(samples(family(text, 'metrics_series_dropped_total'))).toEqual([
			'metrics_series_dropped_total{metric="http_requests_total"} 99000',
			'metrics_series_dropped_total{metric="latency_seconds"} 99000',
		])
		// Storing 99k more series would take tens of MB; the overflow path stores nothing.
		expect(growth).toBeLessThan(2 * 1024 * 1024)
	})
})
