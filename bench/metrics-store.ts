/**
 * Microbenchmark: our metrics store against prom-client, same machine, same run.
 *
 *   bun bench/metrics-store.ts            # prints a summary
 *   bun bench/metrics-store.ts --json     # what `bun run bench` reads (last line of stdout)
 *   bun bench/metrics-store.ts --quick    # fewer rounds
 *
 * "record" is one HTTP request's worth of metrics: a counter with 3 labels and a histogram
 * with 2 labels (default buckets). prom-client is driven the idiomatic way, with a label
 * object per call. "render" fills both stores with N counter series and N histogram series
 * and times `render()` / `await metrics()`, which both return one flat string, and
 * `renderBytes()`, the same exposition as the bytes /metrics sends. Before timing, both
 * outputs are parsed and must hold exactly the same samples.
 */
import { Buffer } from 'node:buffer'
import * as prom from 'prom-client'
import { Registry } from '../src/observability/metrics/index.ts'

const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const
const STATUSES = ['200', '201', '404', '500'] as const

function ours(maxSeries: number) {
	const registry = new Registry({ maxSeriesPerMetric: maxSeries })
	const requests = registry.counter({
		name: 'http_requests_total',
		help: 'Total HTTP requests.',
		labelNames: ['method', 'endpoint', 'status'] as const,
	})
	const duration = registry.histogram({
		name: 'http_request_duration_seconds',
		help: 'HTTP request latency in seconds.',
		labelNames: ['method', 'endpoint'] as const,
	})
	return { registry, requests, duration }
}

/** prom-client set up like ours; with `exemplars`, recording them as the API does (OpenMetrics). */
function theirs(exemplars = false) {
	const registry = new prom.Registry<typeof prom.openMetricsContentType>()
	if (exemplars) registry.setContentType(prom.openMetricsContentType)
	const requests = new prom.Counter({
		name: 'http_requests_total',
		help: 'Total HTTP requests.',
		labelNames: ['method', 'endpoint', 'status'] as const,
		registers: [registry],
	})
	const duration = new prom.Histogram({
		name: 'http_request_duration_seconds',
		help: 'HTTP request latency in seconds.',
		labelNames: ['method', 'endpoint'] as const,
		enableExemplars: exemplars,
		registers: [registry],
	})
	return { registry, requests, duration }
}

/**
 * Label values for `sets` distinct requests. Built once: in the app, method, route template
 * and status are constants, not strings assembled per request.
 */
function requestTable(sets: number) {
	return Array.from({ length: sets }, (_, k) => ({
		method: METHODS[k % METHODS.length]!,
		endpoint: `/api/route/${k}`,
		status: STATUSES[(k >> 2) % STATUSES.length]!,
		seconds: (k % 97) / 1000,
	}))
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/**
 * ns per call of each variant. Rounds interleave the variants so that noise from other
 * processes on the machine hits all of them alike; the median round is reported.
 */
function nsPerOp(variants: Record<string, (i: number) => void>, iterations: number, rounds: number) {
	const samples: Record<string, number[]> = {}
	for (const [name, run] of Object.entries(variants)) {
		for (let i = 0; i < 200_000; i++) run(i) // warm up the JIT
		samples[name] = []
	}
	for (let r = 0; r < rounds; r++) {
		for (const [name, run] of Object.entries(variants)) {
			const start = Bun.nanoseconds()
			for (let i = 0; i < iterations; i++) run(i)
			samples[name]!.push((Bun.nanoseconds() - start) / iterations)
		}
	}
	return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]))
}

/**
 * Median ms per render of each variant, rounds interleaved so that garbage collection and
 * other processes' noise fall on all variants alike. (Forcing a full GC before each run would
 * hand memory back to the OS and time page faults on the next multi-megabyte string instead.)
 */
async function medianMs(variants: Record<string, () => Promise<number> | number>, rounds: number) {
	const samples: Record<string, number[]> = {}
	for (const [name, scrape] of Object.entries(variants)) {
		await scrape() // warm-up
		samples[name] = []
	}
	for (let r = 0; r < rounds; r++) {
		for (const [name, scrape] of Object.entries(variants)) {
			const start = Bun.nanoseconds()
			await scrape()
			samples[name]!.push((Bun.nanoseconds() - start) / 1e6)
		}
	}
	return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]))
}

/** Sample lines as `name{sorted labels}` → value, ignoring families only one side has. */
function sampleMap(exposition: string): Map<string, number> {
	const out = new Map<string, number>()
	for (const line of exposition.split('\n')) {
		if (line === '' || line.startsWith('#') || !line.startsWith('http_')) continue
		const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line)
		if (!match) throw new Error(`unparseable sample: ${line}`)
		const labels = [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`).sort()
		out.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]))
	}
	return out
}

function assertSameSamples(a: string, b: string, series: number): number {
	const mine = sampleMap(a)
	const other = sampleMap(b)
	if (mine.size !== other.size) throw new Error(`sample count differs: ${mine.size} vs ${other.size}`)
	for (const [key, value] of mine) {
		if (other.get(key) !== value) throw new Error(`sample ${key} differs: ${value} vs ${other.get(key)}`)
	}
	// A counter sample plus 12 buckets, _sum and _count per histogram series.
	const expected = series * (1 + 12 + 2)
	if (mine.size !== expected) throw new Error(`expected ${expected} samples, got ${mine.size}`)
	return mine.size
}

const ratio = (slow: number, fast: number) => `${(slow / fast).toFixed(1)}×`

export interface StoreResult {
	record: {
		promClientNs: number
		/** prom-client with `enableExemplars`, observing with `exemplarLabels`. */
		promClientExemplarNs: number
		labelsNs: number
		heldNs: number
		exemplarNs: number
		dateNowNs: number
	}
	render: {
		series: number
		samples: number
		megabytes: number
		promClientMs: number
		/** `render()`: one flat string, like prom-client's. */
		textMs: number
		/** `renderBytes()`: the same exposition as bytes, what /metrics sends. */
		bytesMs: number
		openMetricsMs: number
	}[]
}

function measureRecord(quick: boolean): StoreResult['record'] {
	const sets = 100
	const table = requestTable(sets)
	const a = ours(10_000)
	const b = theirs()
	const c = theirs(true)
	const held = table.map((r) => ({
		count: a.requests.labels(r.method, r.endpoint, r.status),
		time: a.duration.labels(r.method, r.endpoint),
		seconds: r.seconds,
	}))
	const ns = nsPerOp(
		{
			promClient: (i) => {
				const r = table[i % sets]!
				b.requests.inc({ method: r.method, endpoint: r.endpoint, status: r.status })
				b.duration.observe({ method: r.method, endpoint: r.endpoint }, r.seconds)
			},
			promClientExemplar: (i) => {
				const r = table[i % sets]!
				c.requests.inc({ method: r.method, endpoint: r.endpoint, status: r.status })
				c.duration.observe({
					labels: { method: r.method, endpoint: r.endpoint },
					value: r.seconds,
					// prom-client types exemplar labels as the metric's own label names.
					exemplarLabels: { correlation_id: 'corr-id-abc' } as never,
				})
			},
			labels: (i) => {
				const r = table[i % sets]!
				a.requests.labels(r.method, r.endpoint, r.status).inc()
				a.duration.labels(r.method, r.endpoint).observe(r.seconds)
			},
			held: (i) => {
				const s = held[i % sets]!
				s.count.inc()
				s.time.observe(s.seconds)
			},
			exemplar: (i) => {
				const r = table[i % sets]!
				a.requests.labels(r.method, r.endpoint, r.status).inc()
				a.duration.labels(r.method, r.endpoint).observe(r.seconds, 'corr-id-abc')
			},
			clock: () => Date.now(),
		},
		quick ? 100_000 : 500_000,
		quick ? 5 : 9,
	)
	return {
		promClientNs: ns.promClient!,
		promClientExemplarNs: ns.promClientExemplar!,
		labelsNs: ns.labels!,
		heldNs: ns.held!,
		exemplarNs: ns.exemplar!,
		dateNowNs: ns.clock!,
	}
}

async function measureRender(series: number, quick: boolean): Promise<StoreResult['render'][number]> {
	const a = ours(series)
	const b = theirs()
	const table = requestTable(series)
	for (let k = 0; k < series; k++) {
		const r = table[k]!
		for (let n = 0; n <= k % 3; n++) {
			a.requests.labels(r.method, r.endpoint, r.status).inc()
			a.duration.labels(r.method, r.endpoint).observe(r.seconds)
			b.requests.inc({ method: r.method, endpoint: r.endpoint, status: r.status })
			b.duration.observe({ method: r.method, endpoint: r.endpoint }, r.seconds)
		}
	}
	const text = a.registry.render('text')
	const samples = assertSameSamples(text, await b.registry.metrics(), series)
	if (new TextDecoder().decode(a.registry.renderBytes('text')) !== text)
		throw new Error('renderBytes differs from render')
	const ms = await medianMs(
		{
			promClient: async () => (await b.registry.metrics()).length,
			text: () => a.registry.render('text').length,
			bytes: () => a.registry.renderBytes('text').length,
			openMetrics: () => a.registry.render('openmetrics').length,
		},
		(series >= 10_000 ? 11 : 31) >> (quick ? 1 : 0),
	)
	return {
		series,
		samples,
		megabytes: Buffer.byteLength(text) / 1e6,
		promClientMs: ms.promClient!,
		textMs: ms.text!,
		bytesMs: ms.bytes!,
		openMetricsMs: ms.openMetrics!,
	}
}

export async function runStore(quick = false): Promise<StoreResult> {
	const record = measureRecord(quick)
	const render = []
	for (const series of [100, 1_000, 10_000]) render.push(await measureRender(series, quick))
	return { record, render }
}

if (import.meta.main) {
	const quick = process.argv.includes('--quick')
	const result = await runStore(quick)
	if (process.argv.includes('--json')) {
		console.log(JSON.stringify(result))
	} else {
		const { record } = result
		const row = (label: string, value: number) =>
			`  ${label.padEnd(22)}${value.toFixed(0).padStart(6)}   ${ratio(record.promClientNs, value)} faster`
		console.log('record one request (counter, 3 labels + histogram, 2 labels), median ns/op')
		console.log(`  ${'prom-client'.padEnd(22)}${record.promClientNs.toFixed(0).padStart(6)}`)
		console.log(row('ours, labels(...)', record.labelsNs))
		console.log(row('ours, held series', record.heldNs))
		console.log(`  ${'prom-client, exemplar'.padEnd(22)}${record.promClientExemplarNs.toFixed(0).padStart(6)}`)
		console.log(
			`  ${'ours, with exemplar'.padEnd(22)}${record.exemplarNs.toFixed(0).padStart(6)}   ${ratio(record.promClientExemplarNs, record.exemplarNs)} faster (Date.now() alone: ${record.dateNowNs.toFixed(0)} ns)`,
		)
		console.log('\nrender to a string, N counter series + N histogram series, median ms')
		for (const r of result.render) {
			console.log(
				`  ${String(r.series).padStart(6)} series (${r.samples} samples, ${r.megabytes.toFixed(1)} MB): prom-client ${r.promClientMs.toFixed(2)} ms,` +
					` ours ${r.textMs.toFixed(2)} ms (${ratio(r.promClientMs, r.textMs)} faster), as bytes ${r.bytesMs.toFixed(2)} ms` +
					` (${ratio(r.promClientMs, r.bytesMs)} faster), OpenMetrics ${r.openMetricsMs.toFixed(2)} ms`,
			)
		}
	}
}
