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
		expect(text).toContain('# TYPE process_heap_bytes gauge\n')
		expect(samples(family(text, 'byte_build_info'))).toEqual([
			`byte_build_info{version="1.2.3",bun_version="${Bun.version}"} 1`,
		])

		const start = value(text, 'process_start_time_seconds')
		const expectedStart = Date.now() / 1000 - process.uptime()
		expect(Math.abs(start - expectedStart)).toBeLessThan(5)
		expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0)
		expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024)
		expect(value(text, 'process_heap_bytes')).toBeGreaterThan(0)
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
