/** Turns a run's results into the Markdown table `bun run bench` prints and writes. */
import type { ColdStartResult } from '../cold-start'
import type { HttpCase } from '../http'
import type { LoggingResult } from '../logging'
import type { MemoryResult } from '../memory'
import type { MetricsEndpointResult } from '../metrics-endpoint'
import type { StoreResult } from '../metrics-store'
import type { Machine } from './machine'
import { formatCount, formatRatio } from './stats'

export interface Target {
	name: string
	goal: string
	measured: string
	pass: boolean
}

export interface RunResult {
	command: string
	machine: Machine
	settings: { quick: boolean; seconds: number; warmupSeconds: number; reps: number; floodRequests: number }
	loadAverage: { before: number[]; after: number[] }
	http?: HttpCase[]
	store?: StoreResult
	metricsEndpoint?: MetricsEndpointResult
	logging?: LoggingResult
	memory?: MemoryResult
	coldStart?: ColdStartResult
	targets: Target[]
	durationSeconds: number
}

const table = (header: string[], rows: string[][]) =>
	[
		`| ${header.join(' | ')} |`,
		`|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
		...rows.map((r) => `| ${r.join(' | ')} |`),
	].join('\n')

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 2 ** 20).toFixed(1)} MB`

export function markdown(run: RunResult): string {
	const { machine, settings } = run
	const out: string[] = []
	out.push(`# bun run bench — ${machine.date.slice(0, 10)}`)
	out.push('')
	out.push(`Command: \`${run.command}\` (${run.durationSeconds.toFixed(0)} s)`)
	out.push('')
	out.push(
		table(
			['', ''],
			[
				['CPU', `${machine.cpu}, ${machine.cores} cores`],
				['Memory', `${machine.memoryGb} GB`],
				['Kernel', machine.kernel],
				['Bun / Elysia', `${machine.bun} / ${machine.elysia}`],
				['Date', machine.date],
				['Pinning', machine.pinningNote],
				[
					'Load average (1 min) before / after',
					`${run.loadAverage.before[0]?.toFixed(2)} / ${run.loadAverage.after[0]?.toFixed(2)}`,
				],
				[
					'HTTP runs',
					`wrk -t1 -c32, ${settings.warmupSeconds} s warm-up per server, then ${settings.reps} interleaved repetitions of ${settings.seconds} s; medians`,
				],
			],
		),
	)
	out.push('')
	out.push('## Targets')
	out.push('')
	out.push(
		table(
			['target', 'goal', 'measured', ''],
			run.targets.map((t) => [t.name, t.goal, t.measured, t.pass ? 'PASS' : '**FAIL**']),
		),
	)
	for (const c of run.http ?? []) {
		out.push('')
		out.push(`## ${c.title}`)
		out.push('')
		if (c.rows.length > 0) {
			out.push(
				table(
					['variant', 'req/s', '× bare', 'server CPU µs/req', 'p99 ms', 'log lines/req'],
					c.rows.map((r) => [
						r.label,
						formatCount(r.rps),
						formatRatio(r.ratio),
						r.cpuUs.toFixed(2),
						r.p99Ms.toFixed(2),
						r.linesPerRequest.toFixed(2),
					]),
				),
			)
		}
		for (const note of c.notes) out.push(`\n${note}`)
	}
	if (run.store) {
		const { record, render } = run.store
		out.push('')
		out.push('## Metrics store against prom-client (bench/metrics-store.ts)')
		out.push('')
		out.push(
			table(
				['record one request: counter (3 labels) + histogram (2 labels)', 'ns', '× faster than prom-client alike'],
				[
					['prom-client', record.promClientNs.toFixed(0), ''],
					[
						'ours, labels(...) each time',
						record.labelsNs.toFixed(0),
						formatRatio(record.promClientNs / record.labelsNs),
					],
					['ours, series held', record.heldNs.toFixed(0), formatRatio(record.promClientNs / record.heldNs)],
					[
						'prom-client with exemplars (`enableExemplars`, `exemplarLabels`)',
						record.promClientExemplarNs.toFixed(0),
						'',
					],
					[
						'ours, labels(...) each time, with exemplar (what the API does)',
						record.exemplarNs.toFixed(0),
						formatRatio(record.promClientExemplarNs / record.exemplarNs),
					],
				],
			),
		)
		out.push('')
		out.push(
			table(
				[
					'render N counter + N histogram series',
					'size',
					'prom-client ms',
					'ours → string ms',
					'×',
					'ours → bytes ms',
					'×',
					'OpenMetrics ms',
				],
				render.map((r) => [
					formatCount(r.series),
					`${r.megabytes.toFixed(1)} MB`,
					r.promClientMs.toFixed(2),
					r.textMs.toFixed(2),
					formatRatio(r.promClientMs / r.textMs),
					r.bytesMs.toFixed(2),
					formatRatio(r.promClientMs / r.bytesMs),
					r.openMetricsMs.toFixed(2),
				]),
			),
		)
	}
	if (run.metricsEndpoint) {
		const m = run.metricsEndpoint
		out.push('')
		out.push(
			`GET /metrics of the API at ${formatCount(m.series)} series (${mb(m.bytes)}), curl on the load core: ` +
				`first byte ${m.firstByteMs.toFixed(1)} ms, complete ${m.totalMs.toFixed(1)} ms (medians); server CPU ${m.serverCpuMs.toFixed(1)} ms per scrape.`,
		)
	}
	if (run.logging) {
		out.push('')
		out.push(
			'## One access line, formatted and written through the stdout batching to a FileSink on /dev/null (bench/logging.ts)',
		)
		out.push('')
		const pino =
			Object.entries(run.logging.ns).find(([label]) => label.startsWith('pino: same fields ('))?.[1] ?? Number.NaN
		out.push(
			table(
				['case', 'ns/line', '× pino'],
				Object.entries(run.logging.ns).map(([label, ns]) => [label, ns.toFixed(0), formatRatio(ns / pino)]),
			),
		)
	}
	if (run.memory) {
		const points = run.memory.points
		out.push('')
		out.push(`## Memory: ${formatCount(run.memory.requestsPerPhase)} requests per phase, read after a full GC`)
		out.push('')
		out.push(
			table(
				[
					'after',
					'requests',
					'RSS',
					'Δ RSS',
					'heap used (nodejs_heap_size_used_bytes)',
					'series (sample lines)',
					'Δ series',
					'http_requests_total series',
				],
				points.map((p, i) => {
					const previous = points[i - 1]
					return [
						p.label,
						formatCount(p.requests),
						mb(p.rssBytes),
						previous ? signedMb(p.rssBytes - previous.rssBytes) : '',
						mb(p.heapBytes),
						String(p.series),
						previous ? String(p.series - previous.series) : '',
						String(p.httpSeries),
					]
				}),
			),
		)
	}
	if (run.coldStart) {
		const c = run.coldStart
		out.push('')
		out.push('## Cold start: `bun src/index.ts`, DATABASE_URL=memory://, spawn → first 200 from /health/live')
		out.push('')
		out.push(
			table(
				['start', 'ms'],
				[
					['first on this machine (empty cache: initdb, snapshot written)', c.firstMs.toFixed(0)],
					[`later starts (snapshot loaded), median of ${c.laterMs.length}`, c.laterMedianMs.toFixed(0)],
				],
			),
		)
	}
	out.push('')
	return out.join('\n')
}
