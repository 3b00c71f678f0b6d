/**
 * Soak: a bounded, mixed workload against the real API process, reporting errors, latency
 * and memory. `bun run soak` (50,000 requests on in-memory PGlite); options:
 *
 *   --requests N      total requests (default 50000)
 *   --concurrency N   requests in flight at once (default 32)
 *   --db memory       in-memory PGlite (default)
 *   --db postgres     a throw-away PostgreSQL server of its own (needs initdb/pg_ctl)
 *   --db <url>        any DATABASE_URL, e.g. an existing postgres:// database
 *   --url <base>      soak an API that is already running instead of starting one
 *   --json            print the summary as JSON
 *
 * Exits 1 on any 5xx, connection error or unexpected status.
 */
import { parseArgs } from 'node:util'
import { createPgServer, type PgServer } from '../tests/helpers/pg-server'
import { type ApiProcess, startApi } from '../tests/helpers/process'

const { values: args } = parseArgs({
	options: {
		requests: { type: 'string', default: '50000' },
		concurrency: { type: 'string', default: '32' },
		db: { type: 'string', default: 'memory' },
		url: { type: 'string' },
		json: { type: 'boolean', default: false },
	},
})
const TOTAL = Number(args.requests)
const CONCURRENCY = Number(args.concurrency)
const METRICS_TOKEN = 'soak-metrics-token'

interface Step {
	method: string
	path: string
	body?: unknown
	expect: number
	kind: string
}

/** A seeded PRNG (mulberry32) so two runs send the same workload. */
function prng(seed: number) {
	let a = seed >>> 0
	return () => {
		a = (a + 0x6d2b79f5) >>> 0
		let t = a
		t = Math.imul(t ^ (t >>> 15), t | 1)
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296
	}
}

/**
 * The workload. Each worker owns its guild ids (no two workers race on one guild), so every
 * request has exactly one right answer and anything else is an error.
 */
function workload(worker: number) {
	const random = prng(0xb17e + worker)
	const live: string[] = []
	let created = 0
	const newId = () => `${(worker + 1) * 1_000_000_000 + ++created}`
	const pickLive = () => live[Math.floor(random() * live.length)] as string
	return (): Step => {
		const r = random()
		if (live.length < 5 || r < 0.1) {
			const id = newId()
			live.push(id)
			return {
				kind: 'create',
				method: 'POST',
				path: '/api/guilds',
				body: { guildId: id, guildName: `Soak ${id}` },
				expect: 201,
			}
		}
		if (r < 0.4) return { kind: 'fetch', method: 'GET', path: `/api/guilds/${pickLive()}`, expect: 200 }
		if (r < 0.5)
			return {
				kind: 'patch',
				method: 'PATCH',
				path: `/api/guilds/${pickLive()}`,
				body: { guildName: `Renamed ${Math.floor(random() * 1e6)}`, issueLinking: random() < 0.5 },
				expect: 200,
			}
		if (r < 0.58)
			return {
				kind: '404',
				method: 'GET',
				path: `/api/guilds/${(worker + 1) * 1_000_000_000 + 900_000_000 + Math.floor(random() * 1e6)}`,
				expect: 404,
			}
		if (r < 0.64)
			return {
				kind: 'sub-get',
				method: 'GET',
				path: `/api/guilds/${pickLive()}/${['github', 'sotags', 'allowed-users', 'forum'][Math.floor(random() * 4)]}`,
				expect: 200,
			}
		if (r < 0.7) {
			const which = Math.floor(random() * 3)
			const id = pickLive()
			if (which === 0)
				return {
					kind: 'sub-put',
					method: 'PUT',
					path: `/api/guilds/${id}/github`,
					body: { githubOrganization: 'org', githubRepository: `repo-${id}`, discussionSync: random() < 0.5 },
					expect: 200,
				}
			if (which === 1)
				return {
					kind: 'sub-put',
					method: 'PUT',
					path: `/api/guilds/${id}/sotags`,
					body: [{ tagName: 'bun' }, { tagName: `t${Math.floor(random() * 100)}` }],
					expect: 200,
				}
			return {
				kind: 'sub-put',
				method: 'PUT',
				path: `/api/guilds/${id}/allowed-users`,
				body: [{ userId: `${1 + Math.floor(random() * 1e12)}` }],
				expect: 200,
			}
		}
		if (r < 0.78)
			return {
				kind: 'list',
				method: 'GET',
				path: `/api/guilds?limit=${1 + Math.floor(random() * 50)}&offset=${Math.floor(random() * 100)}`,
				expect: 200,
			}
		if (r < 0.82 && live.length > 20) {
			const [id] = live.splice(Math.floor(random() * live.length), 1)
			return { kind: 'delete', method: 'DELETE', path: `/api/guilds/${id}`, expect: 204 }
		}
		if (r < 0.86)
			return {
				kind: 'invalid',
				method: 'POST',
				path: '/api/guilds',
				body: { guildId: 'not-a-snowflake', guildName: '' },
				expect: 422,
			}
		if (r < 0.9)
			return {
				kind: 'health',
				method: 'GET',
				path: ['/health', '/health/live', '/health/ready'][Math.floor(random() * 3)] as string,
				expect: 200,
			}
		if (r < 0.93) return { kind: 'unmatched', method: 'GET', path: `/nope/${Math.floor(random() * 1e6)}`, expect: 404 }
		return { kind: 'metrics', method: 'GET', path: '/metrics', expect: 200 }
	}
}

async function metric(base: string, name: string): Promise<number> {
	const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text()
	const line = text.split('\n').find((l) => l.startsWith(`${name} `))
	return line ? Number(line.slice(name.length + 1)) : Number.NaN
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

async function main() {
	let pg: PgServer | undefined
	let api: ApiProcess | undefined
	let base = args.url
	let database = args.url ? '(external)' : args.db
	if (!base) {
		let url = args.db === 'memory' ? 'memory://' : args.db
		if (args.db === 'postgres') {
			pg = await createPgServer()
			url = pg.url
		}
		database = args.db === 'postgres' ? 'PostgreSQL (own throw-away server)' : (url ?? '').replace(/:[^:@/]*@/, ':***@')
		// info: one access line per request goes through the real log pipeline.
		api = await startApi({ DATABASE_URL: url as string, LOG_LEVEL: 'info', METRICS_TOKEN })
		base = api.url
	}
	try {
		const rssStart = await metric(base, 'process_resident_memory_bytes')
		const counts = new Map<string, number>()
		const errors: string[] = []
		const latencies = new Float64Array(TOTAL)
		const rssSamples: number[] = []
		let sent = 0
		let done = 0
		const headers = { authorization: `Bearer ${METRICS_TOKEN}`, 'content-type': 'application/json' }
		const started = performance.now()

		await Promise.all(
			Array.from({ length: CONCURRENCY }, async (_, worker) => {
				const next = workload(worker)
				while (sent < TOTAL) {
					const index = sent++
					const step = next()
					const t0 = performance.now()
					try {
						const res = await fetch(`${base}${step.path}`, {
							method: step.method,
							headers,
							body: step.body === undefined ? undefined : JSON.stringify(step.body),
						})
						await res.arrayBuffer()
						if (res.status !== step.expect)
							errors.push(`${step.method} ${step.path} → ${res.status} (expected ${step.expect})`)
					} catch (error) {
						errors.push(`${step.method} ${step.path} → ${(error as Error).message}`)
					}
					latencies[index] = performance.now() - t0
					counts.set(step.kind, (counts.get(step.kind) ?? 0) + 1)
					if (++done % Math.ceil(TOTAL / 4) === 0)
						rssSamples.push(await metric(base as string, 'process_resident_memory_bytes'))
				}
			}),
		)
		const seconds = (performance.now() - started) / 1000
		const rssEnd = await metric(base, 'process_resident_memory_bytes')
		const heapEnd = await metric(base, 'nodejs_heap_size_used_bytes')
		const sorted = Array.from(latencies).sort((a, b) => a - b)
		const pct = (p: number) =>
			Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) * 100) / 100
		const logErrors = api
			? api.lines().filter((l) => l.includes('"level":"error"') || l.includes('"level":"critical"')).length
			: 0
		const summary = {
			requests: TOTAL,
			concurrency: CONCURRENCY,
			database,
			seconds: Math.round(seconds * 10) / 10,
			requests_per_second: Math.round(TOTAL / seconds),
			errors: errors.length,
			error_log_lines: logErrors,
			latency_ms: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) },
			rss_mb: { start: mb(rssStart), quarters: rssSamples.map(mb), end: mb(rssEnd) },
			heap_mb_end: mb(heapEnd),
			mix: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
		}
		if (args.json) console.log(JSON.stringify(summary, null, 2))
		else {
			console.log(`soak: ${TOTAL} requests, ${CONCURRENCY} concurrent, database ${database}`)
			console.log(`  ${summary.seconds} s, ${summary.requests_per_second} req/s`)
			console.log(
				`  errors: ${errors.length} (5xx, connection errors, unexpected statuses); error log lines: ${logErrors}`,
			)
			console.log(
				`  latency ms: p50 ${summary.latency_ms.p50}, p95 ${summary.latency_ms.p95}, p99 ${summary.latency_ms.p99}, max ${summary.latency_ms.max}`,
			)
			console.log(
				`  RSS MB: start ${summary.rss_mb.start}, at each quarter ${summary.rss_mb.quarters.join(' / ')}, end ${summary.rss_mb.end}; heap used (nodejs_heap_size_used_bytes) at end ${summary.heap_mb_end}`,
			)
			console.log(
				`  mix: ${Object.entries(summary.mix)
					.map(([k, v]) => `${k} ${v}`)
					.join(', ')}`,
			)
		}
		for (const error of errors.slice(0, 20)) console.log(`  ! ${error}`)
		if (errors.length > 0 || logErrors > 0) process.exitCode = 1
	} finally {
		if (api) {
			const code = await api.stop('SIGTERM')
			if (code !== 0) {
				console.log(`API exited with ${code}`)
				process.exitCode = 1
			}
		}
		await pg?.destroy()
	}
}

await main()
