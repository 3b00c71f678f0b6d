/**
 * The cardinality budget, through the app: however many label sets arrive, each metric keeps
 * at most its cap of series (overflow shares one `__overflow__` series and is counted in
 * metrics_series_dropped_total), so scrapes and memory stay flat.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { heapStats } from 'bun:jsc'
import { Registry } from '../../src/observability/metrics'
import { createTestApp, type TestApp } from '../helpers/app'
import { checkMetrics, requirePromtool } from '../helpers/promtool'

const CAP = 40

function seriesOf(exposition: string, metric: string): string[] {
	return exposition.split('\n').filter((l) => l.startsWith(`${metric}{`))
}
function dropped(exposition: string, metric: string): number {
	const line = exposition.split('\n').find((l) => l.startsWith(`metrics_series_dropped_total{metric="${metric}"} `))
	return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}
function heapBytes(): number {
	Bun.gc(true)
	return heapStats().heapSize
}

const hasPromtool = requirePromtool('cardinality budget')

describe('cardinality budget through the app', () => {
	let t: TestApp

	beforeAll(async () => {
		t = await createTestApp({ level: 'critical', maxSeriesPerMetric: CAP })
		// Three hundred extra routes: what a router that leaked raw paths into `endpoint`, or
		// an app that grew routes at run time, would feed the HTTP metrics.
		for (let i = 0; i < 300; i++) t.app.get(`/flood/r${i}`, () => 'ok')
	}, 30_000)
	afterAll(() => t?.close())

	test('unknown paths and methods share fixed label values: no new series however many arrive', async () => {
		await t.request('GET', '/nowhere')
		const before = seriesOf(t.registry.render(), 'http_requests_total').length
		for (let i = 0; i < 2000; i++) {
			const method = ['GET', 'POST', 'BREW', 'PROPFIND', 'X-RANDOM'][i % 5] as string
			await t.app.handle(new Request(`http://localhost/nowhere/${i}/${crypto.randomUUID()}`, { method }))
		}
		const after = seriesOf(t.registry.render(), 'http_requests_total')
		// At most GET, POST and OTHER were added, each once, all with endpoint="unmatched".
		expect(after.length - before).toBeLessThanOrEqual(3)
		expect(after.filter((l) => l.includes('/nowhere'))).toEqual([])
		expect(dropped(t.registry.render(), 'http_requests_total')).toBe(0)
	})

	test(`past the cap (${CAP}) new route label sets fold into one overflow series, counted, and the scrape is served`, async () => {
		for (let i = 0; i < 300; i++) expect((await t.request('GET', `/flood/r${i}`)).status).toBe(200)
		const text = t.registry.render()
		const requests = seriesOf(text, 'http_requests_total')
		const durations = seriesOf(text, 'http_request_duration_seconds_count')
		// The cap, plus the one overflow series.
		expect(requests).toHaveLength(CAP + 1)
		expect(durations).toHaveLength(CAP + 1)
		expect(requests).toContain(
			'http_requests_total{method="__overflow__",endpoint="__overflow__",status="__overflow__"} ' +
				requests.at(-1)!.split(' ').at(-1),
		)
		// Every request is still counted: the overflow series carries the ones that found no room.
		const counted = requests.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
		expect(counted).toBeGreaterThanOrEqual(300)
		expect(dropped(text, 'http_requests_total')).toBeGreaterThan(0)
		expect(dropped(text, 'http_request_duration_seconds')).toBeGreaterThan(0)
		// The scrape is served as usual.
		const scrape = await t.request('GET', '/metrics')
		expect(scrape.status).toBe(200)
		expect(seriesOf(scrape.text, 'http_requests_total')).toHaveLength(CAP + 1)
	}, 30_000)

	test.skipIf(!hasPromtool)('past the cap, promtool check metrics still accepts the exposition', async () => {
		for (let i = 0; i < 300; i++) await t.request('GET', `/flood/r${i}`)
		const check = await checkMetrics(t.registry.render())
		expect(check.output).toBe('')
		expect(check.code).toBe(0)
	})

	test('series and memory stay flat under a flood of 200,000 new label sets', () => {
		const { httpRequests, httpDuration } = t.metrics
		const flood = (from: number, to: number) => {
			for (let i = from; i < to; i++) {
				httpRequests.labels('GET', `/leak/${i}`, '200').inc()
				httpDuration.labels('GET', `/leak/${i}`).observe(0.01)
			}
		}
		flood(0, 10_000)
		const renderedBefore = t.registry.render()
		const heapBefore = heapBytes()
		flood(10_000, 210_000)
		const heapAfter = heapBytes()
		const renderedAfter = t.registry.render()

		expect(seriesOf(renderedAfter, 'http_requests_total')).toHaveLength(
			seriesOf(renderedBefore, 'http_requests_total').length,
		)
		expect(seriesOf(renderedAfter, 'http_request_duration_seconds_bucket')).toHaveLength(
			seriesOf(renderedBefore, 'http_request_duration_seconds_bucket').length,
		)
		expect(renderedAfter.length).toBeLessThan(renderedBefore.length + 200)
		expect(dropped(renderedAfter, 'http_requests_total') - dropped(renderedBefore, 'http_requests_total')).toBe(200_000)

		// The same flood into a registry without a budget grows by megabytes; capped, it does not.
		const control = new Registry({ maxSeriesPerMetric: 1_000_000 })
		const uncapped = control.counter({ name: 'control_total', help: 'Control.', labelNames: ['endpoint'] as const })
		const controlBefore = heapBytes()
		for (let i = 0; i < 200_000; i++) uncapped.labels(`/leak/${i}`).inc()
		const controlGrowth = heapBytes() - controlBefore
		expect(controlGrowth).toBeGreaterThan(8 * 1024 * 1024)
		expect(heapAfter - heapBefore).toBeLessThan(Math.min(2 * 1024 * 1024, controlGrowth / 10))
		expect(uncapped.seriesCount).toBe(200_000)
	}, 30_000)
})
