/**
 * `bun run bench`: the performance numbers the README quotes, each a ratio measured in this
 * run on this machine, with the targets they are held to (README.md, "Performance").
 *
 *   bun run bench                          # everything, ~10 min on 2 cores
 *   bun run bench -- --quick               # shorter runs and fewer repetitions, ~4 min
 *   bun run bench -- http memory           # only some sections
 *   bun run bench -- --reps=7 --seconds=10 # more or longer HTTP repetitions
 *
 * Sections: http, store, logging, memory, cold-start. A complete run (all sections, not
 * --quick) writes bench/results/latest.md and .json; any other run writes partial.md/.json.
 * Servers run on one core and wrk on another (taskset), when the machine has two.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { runColdStart } from './cold-start'
import { HTTP_CASES, type HttpCase, runHttp } from './http'
import type { LoggingResult } from './logging'
import { describeMachine } from './lib/machine'
import { markdown, type RunResult, type Target } from './lib/report'
import { ROOT } from './lib/server'
import { formatCount, formatRatio } from './lib/stats'
import { runMemory } from './memory'
import { runMetricsEndpoint } from './metrics-endpoint'
import type { StoreResult } from './metrics-store'

// `bun run bench -- bot`: the bot's start-up sync at scale, on its own (bench/bot.ts).
if (process.argv[2] === 'bot') {
	const { runBotBench } = await import('./bot')
	process.exit(await runBotBench(process.argv.slice(3)))
}

const SECTIONS = ['http', 'store', 'logging', 'memory', 'cold-start'] as const
type Section = (typeof SECTIONS)[number]

function parseArgs(argv: string[]) {
	const flags = new Map<string, string>()
	const chosen: Section[] = []
	for (const arg of argv) {
		if (arg.startsWith('--')) {
			const [key, value = 'true'] = arg.slice(2).split('=')
			flags.set(key as string, value)
		} else if ((SECTIONS as readonly string[]).includes(arg)) chosen.push(arg as Section)
		else {
			console.error(`unknown section "${arg}" (sections: ${SECTIONS.join(', ')})`)
			process.exit(2)
		}
	}
	const quick = flags.has('quick')
	const number = (key: string, fallback: number) => {
		const value = Number(flags.get(key) ?? fallback)
		if (!Number.isFinite(value) || value < 1) {
			console.error(`--${key} needs a positive number`)
			process.exit(2)
		}
		return value
	}
	return {
		quick,
		sections: chosen.length > 0 ? chosen : [...SECTIONS],
		seconds: number('seconds', quick ? 2 : 5),
		warmupSeconds: quick ? 1 : 3,
		reps: number('reps', quick ? 3 : 5),
		floodRequests: quick ? 20_000 : 200_000,
		starts: quick ? 2 : 5,
		scrapes: quick ? 5 : 15,
	}
}

/** Runs a bench script in its own process on the server core and reads its JSON line. */
async function subprocessJson<T>(script: string, args: string[], pin: string[]): Promise<T> {
	const proc = Bun.spawn([...pin, 'bun', script, '--json', ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
	const [out, err, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	if (code !== 0) throw new Error(`${script} exited with ${code}:\n${err}`)
	return JSON.parse(out.trim().split('\n').at(-1) as string) as T
}

const byVariant = (c: HttpCase | undefined, id: string) => c?.rows.find((r) => r.variant === id)

function targets(run: RunResult): Target[] {
	const list: Target[] = []
	const bestPeer = (c: HttpCase) => Math.max(...c.rows.filter((r) => r.variant.endsWith('-peer')).map((r) => r.ratio))
	const health = run.http?.find((c) => c.id === 'health')
	const app = byVariant(health, 'app')
	if (health && app) {
		const best = bestPeer(health)
		list.push({
			name: 'No access line (GET /health/live): full stack vs bare Elysia',
			goal: '≥ 0.70× and ahead of every peer',
			measured: `${formatRatio(app.ratio)} (best peer ${formatRatio(best)})`,
			pass: app.ratio >= 0.7 && app.ratio > best,
		})
	}
	const notFound = run.http?.find((c) => c.id === 'not-found')
	const app404 = byVariant(notFound, 'app')
	if (notFound && app404) {
		const best = bestPeer(notFound)
		list.push({
			name: 'One JSON access line (unmatched path → 404): full stack vs bare Elysia',
			goal: '≥ 0.60× and ahead of every peer',
			measured: `${formatRatio(app404.ratio)} (best peer ${formatRatio(best)})`,
			pass: app404.ratio >= 0.6 && app404.ratio > best,
		})
	}
	if (run.store) {
		const { record, render } = run.store
		const plain = record.promClientNs / record.labelsNs
		const withExemplar = record.promClientExemplarNs / record.exemplarNs
		list.push({
			name: 'Metrics store, record one request (labels each time), against prom-client doing the same',
			goal: '≥ 10×',
			measured: `${formatRatio(plain)} (${record.labelsNs.toFixed(0)} vs ${record.promClientNs.toFixed(0)} ns); with exemplars ${formatRatio(withExemplar)} (${record.exemplarNs.toFixed(0)} vs ${record.promClientExemplarNs.toFixed(0)} ns)`,
			pass: plain >= 10 && withExemplar >= 10,
		})
		const big = render.find((r) => r.series === 10_000)
		if (big) {
			const bytes = big.promClientMs / big.bytesMs
			list.push({
				name: 'Metrics store, render 10,000 series (bytes, what /metrics sends)',
				goal: '≥ 15× prom-client',
				measured: `${formatRatio(bytes)} (to a string: ${formatRatio(big.promClientMs / big.textMs)})`,
				pass: bytes >= 15,
			})
		}
	}
	if (run.metricsEndpoint) {
		list.push({
			name: 'GET /metrics at 10,000 series, complete response',
			goal: '< 15 ms',
			measured: `${run.metricsEndpoint.totalMs.toFixed(1)} ms`,
			pass: run.metricsEndpoint.totalMs < 15,
		})
	}
	if (run.memory) {
		const [warm, flood] = run.memory.points
		if (warm && flood) {
			const series = flood.series - warm.series
			const rss = flood.rssBytes - warm.rssBytes
			list.push({
				name: `${formatCount(flood.requests)} requests to unique unmatched paths`,
				goal: '0 series, < 10 MB RSS',
				measured: `${series} series, ${rss >= 0 ? '+' : '−'}${(Math.abs(rss) / 2 ** 20).toFixed(1)} MB`,
				pass: series === 0 && rss < 10 * 2 ** 20,
			})
		}
	}
	if (run.coldStart) {
		list.push({
			name: 'PGlite in-memory cold start to first answered request',
			goal: '< 3 s',
			measured: `${(run.coldStart.laterMedianMs / 1000).toFixed(2)} s (first start on a machine, with initdb: ${(run.coldStart.firstMs / 1000).toFixed(2)} s)`,
			pass: run.coldStart.laterMedianMs < 3000,
		})
	}
	return list
}

const options = parseArgs(process.argv.slice(2))
const machine = describeMachine()
const started = performance.now()
const log = (line: string) => console.log(line)
const run: RunResult = {
	command: ['bun run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
	machine,
	settings: {
		quick: options.quick,
		seconds: options.seconds,
		warmupSeconds: options.warmupSeconds,
		reps: options.reps,
		floodRequests: options.floodRequests,
	},
	loadAverage: { before: loadavg(), after: [] },
	targets: [],
	durationSeconds: 0,
}

log(`bun run bench: ${machine.cpu}, ${machine.cores} cores; Bun ${machine.bun}, Elysia ${machine.elysia}`)
log(machine.pinningNote)
if ((run.loadAverage.before[0] as number) > 0.5)
	log(
		`note: load average is ${run.loadAverage.before[0]?.toFixed(2)} before starting; other work on the machine adds noise`,
	)

for (const section of options.sections) {
	log(`\n== ${section}`)
	switch (section) {
		case 'http':
			run.http = await runHttp(
				{ machine, seconds: options.seconds, warmupSeconds: options.warmupSeconds, reps: options.reps, log },
				HTTP_CASES,
			)
			break
		case 'store':
			log('  record and render against prom-client')
			run.store = await subprocessJson<StoreResult>(
				'bench/metrics-store.ts',
				options.quick ? ['--quick'] : [],
				machine.pinning?.server ?? [],
			)
			log('  GET /metrics at 10,000 series')
			run.metricsEndpoint = await runMetricsEndpoint(machine, 10_000, options.scrapes)
			break
		case 'logging':
			log('  one access line: ours against pino')
			run.logging = await subprocessJson<LoggingResult>(
				'bench/logging.ts',
				options.quick ? ['--quick'] : [],
				machine.pinning?.server ?? [],
			)
			break
		case 'memory':
			run.memory = await runMemory(machine, options.floodRequests, log)
			break
		case 'cold-start':
			run.coldStart = await runColdStart(machine, options.starts, log)
			break
	}
}

run.loadAverage.after = loadavg()
run.durationSeconds = (performance.now() - started) / 1000
run.targets = targets(run)
const report = markdown(run)
console.log(`\n${report}`)

const complete = !options.quick && options.sections.length === SECTIONS.length
const dir = join(ROOT, 'bench', 'results')
mkdirSync(dir, { recursive: true })
const name = complete ? 'latest' : 'partial'
writeFileSync(join(dir, `${name}.md`), report)
writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(run, null, '\t')}\n`)
log(`wrote bench/results/${name}.md and bench/results/${name}.json`)
process.exit(0)
