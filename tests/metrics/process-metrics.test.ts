import { describe, expect, test } from 'bun:test'
import { Registry } from '../../src/observability/metrics/index.ts'
import { registerProcessMetrics } from '../../src/observability/process-metrics.ts'
import { family, samples } from './helpers.ts'

function value(exposition: string, name: string): number {
	const [line] = samples(family(exposition, name))
	expect(line).toBeDefined()
	return Number(line!.slice(line!.lastIndexOf(' ') + 1))
}

describe('registerProcessMetrics', () => {
	test('exposes the standard process metrics with live values', () => {
		const registry = new Registry()
		registerProcessMetrics(registry, { version: '1.2.3' })
		const text = registry.render()

		expect(text).toContain('# TYPE process_start_time_seconds gauge\n')
		expect(text).toContain('# TYPE process_cpu_seconds_total counter\n')
		expect(text).toContain('# TYPE process_resident_memory_bytes gauge\n')
		expect(text).toContain('# TYPE nodejs_heap_size_total_bytes gauge\n')
		expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge\n')
		expect(samples(family(text, 'byte_build_info'))).toEqual([
			`byte_build_info{version="1.2.3",bun_version="${Bun.version}"} 1`,
		])

		const start = value(text, 'process_start_time_seconds')
		const expectedStart = Date.now() / 1000 - process.uptime()
		expect(Math.abs(start - expectedStart)).toBeLessThan(5)
		expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0)
		expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024)
		expect(value(text, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0)
		expect(value(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
	})

	test.skipIf(process.platform !== 'linux')('counts open file descriptors on Linux', async () => {
		const registry = new Registry()
		registerProcessMetrics(registry, { version: 'dev' })
		const before = value(registry.render(), 'process_open_fds')
		const file = Bun.file('/proc/self/status')
		const handles = await Promise.all(
			Array.from({ length: 5 }, () => import('node:fs/promises').then((fs) => fs.open(file.name!))),
		)
		try {
			expect(value(registry.render(), 'process_open_fds')).toBe(before + 5)
		} finally {
			await Promise.all(handles.map((h) => h.close()))
		}
	})

	test("event-loop lag under prom-client's names: a blocked loop shows in the next scrape, then clears", async () => {
		const registry = new Registry()
		registerProcessMetrics(registry, { version: 'dev' })
		registry.render() // starts a fresh interval
		await Bun.sleep(30)
		const until = performance.now() + 120
		while (performance.now() < until) {
			// hold the event loop for 120 ms
		}
		await Bun.sleep(30)
		const blocked = registry.render()
		for (const name of [
			'nodejs_eventloop_lag_seconds',
			'nodejs_eventloop_lag_p50_seconds',
			'nodejs_eventloop_lag_p90_seconds',
			'nodejs_eventloop_lag_p99_seconds',
		])
			expect(blocked).toContain(`# TYPE ${name} gauge\n`)
		expect(value(blocked, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0.1)
		expect(value(blocked, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(
			value(blocked, 'nodejs_eventloop_lag_p50_seconds'),
		)
		expect(value(blocked, 'nodejs_eventloop_lag_seconds')).toBeGreaterThan(0)
		await Bun.sleep(100)
		expect(value(registry.render(), 'nodejs_eventloop_lag_p99_seconds')).toBeLessThan(0.1)
	})

	test('CPU time is re-read on every scrape', () => {
		const registry = new Registry()
		registerProcessMetrics(registry, { version: 'dev' })
		const first = value(registry.render(), 'process_cpu_seconds_total')
		const until = performance.now() + 30
		while (performance.now() < until) {
			// burn CPU so the next reading must be higher
		}
		expect(value(registry.render(), 'process_cpu_seconds_total')).toBeGreaterThan(first)
	})

	test('registering twice on one registry is a duplicate registration', () => {
		const registry = new Registry()
		registerProcessMetrics(registry, { version: 'dev' })
		expect(() => registerProcessMetrics(registry, { version: 'dev' })).toThrow(/already registered/)
	})
})
