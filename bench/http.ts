/**
 * HTTP overhead: the real API (createApp in a server subprocess, JSON logs to a file) against
 * bare Elysia serving the same responses, plus rows that split the cost (the correlation
 * headers alone, the same lifecycle hooks doing nothing, the API without its access line)
 * and two peer stacks. Every server of a case runs at once; wrk hits them in turn (A B C A B
 * C …), and each ratio compares medians from the same run.
 */
import postgres from 'postgres'
import type { Machine } from './lib/machine'
import { type RunningServer, startServer } from './lib/server'
import { median } from './lib/stats'
import { wrk } from './lib/wrk'
import { SEEDED_GUILD_ID } from './servers/common'

export interface HttpOptions {
	machine: Machine
	seconds: number
	warmupSeconds: number
	reps: number
	log: (line: string) => void
}

interface Variant {
	id: string
	label: string
	args: string[]
	env?: Record<string, string>
}

export interface HttpRow {
	variant: string
	label: string
	/** Median requests per second over the repetitions. */
	rps: number
	/** rps / the baseline's rps. */
	ratio: number
	/** Median server CPU time (user + system, all threads) per request, µs. */
	cpuUs: number
	p99Ms: number
	/** Log lines the server wrote per request during the warm-up (the access line). */
	linesPerRequest: number
	samples: number[]
}

export interface HttpCase {
	id: string
	title: string
	path: string
	baseline: string
	rows: HttpRow[]
	notes: string[]
}

const bare = (env: Record<string, string> = {}): Variant => ({
	id: 'bare',
	label: 'bare Elysia, same responses',
	args: ['bench/servers/bare.ts'],
	env,
})
const app = (id: string, label: string, env: Record<string, string> = {}): Variant => ({
	id,
	label,
	args: ['bench/servers/app.ts'],
	env,
})
const PEERS: Variant[] = [
	{
		id: 'elysia-peer',
		label: 'peer: Elysia + elysia-prometheus + elysia-requestid',
		args: ['bench/servers/elysia-peer.ts'],
	},
	{ id: 'hono-peer', label: 'peer: Hono + @hono/prometheus + hono/request-id', args: ['bench/servers/hono-peer.ts'] },
]
const MEMORY = { DATABASE_URL: 'memory://' }
/**
 * Span export on, every request sampled, to a local OTLP/HTTP endpoint that accepts and
 * discards (`otlpSink`): what tracing costs the server, against the same API with no endpoint.
 */
const tracingOn = (endpoint: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_on' })

/** Accepts OTLP export requests and drops them, off the server's core (in the bench process). */
function otlpSink() {
	let exports = 0
	const server = Bun.serve({
		hostname: '127.0.0.1',
		port: 0,
		async fetch(request) {
			await request.arrayBuffer()
			exports++
			return new Response(null, { status: 200 })
		},
	})
	return { url: `http://127.0.0.1:${server.port}`, exports: () => exports, stop: () => server.stop(true) }
}
/**
 * Bare Elysia with no database in the process. A reference row only: the API always holds
 * one, and an in-memory PGlite makes every request of any server in that process slower
 * (its heap makes each garbage collection longer), so the baseline holds the same one.
 */
const NO_DB: Variant = {
	id: 'bare-no-db',
	label: 'bare Elysia, no database in the process (reference)',
	args: ['bench/servers/bare.ts'],
	env: { BENCH_DATABASE: '0', DATABASE_URL: 'memory://' },
}
/** Bare Elysia plus only the header work the correlation-ID contract requires. */
const HEADERS_ONLY: Variant = {
	id: 'bare-headers',
	label: 'bare Elysia + correlation headers only (read, validate, send two)',
	args: ['bench/servers/bare.ts'],
	env: { ...MEMORY, BENCH_HEADERS: '1' },
}
/**
 * Bare Elysia with the request plugin's hooks (onRequest, an asynchronous derive,
 * onBeforeHandle, onError, onAfterResponse) doing nothing: what that lifecycle shape costs
 * in Elysia itself, before any of our work.
 */
const HOOKS_ONLY: Variant = {
	id: 'bare-hooks',
	label: 'bare Elysia + the same lifecycle hooks, empty',
	args: ['bench/servers/bare.ts'],
	env: { ...MEMORY, BENCH_HOOKS: '1' },
}
/** The rows without observability that /health/live and the 404 case start with, baseline first. */
const BASELINES: Variant[] = [bare(MEMORY), NO_DB, HEADERS_ONLY, HOOKS_ONLY]

/** Bodies with the correlation ID masked, so responses of different servers compare equal. */
async function fingerprint(url: string): Promise<string> {
	const res = await fetch(url)
	// Masked: correlation IDs, and timestamps of rows each server seeded itself.
	const body = (await res.text()).replace(/"(correlation_id|createdAt|updatedAt)":"[^"]*"/g, '"$1":"…"')
	return `${res.status} ${body}`
}

async function runCase(
	options: HttpOptions,
	spec: { id: string; title: string; path: string; variants: Variant[]; notes?: string[] },
): Promise<HttpCase> {
	const { machine, log } = options
	const servers: RunningServer[] = []
	const notes = [...(spec.notes ?? [])]
	try {
		for (const variant of spec.variants) {
			servers.push(
				await startServer(machine, { name: `${spec.id}-${variant.id}`, args: variant.args, env: variant.env }),
			)
		}
		// Same responses, or the comparison means nothing.
		const reference = await fingerprint(servers[0]!.url + spec.path)
		for (const [i, server] of servers.entries()) {
			const seen = await fingerprint(server.url + spec.path)
			if (seen !== reference) notes.push(`${spec.variants[i]!.id} answers differently: ${seen.slice(0, 160)}`)
		}
		const linesPerRequest = new Map<string, number>()
		for (const [i, server] of servers.entries()) {
			server.truncateStdout()
			const warm = await wrk(machine, { url: server.url + spec.path, seconds: options.warmupSeconds })
			await Bun.sleep(100) // the sink flushes once per event-loop turn
			linesPerRequest.set(spec.variants[i]!.id, server.stdoutLines() / warm.requests)
		}
		const rps = new Map<string, number[]>()
		const cpu = new Map<string, number[]>()
		const p99 = new Map<string, number[]>()
		for (let rep = 0; rep < options.reps; rep++) {
			for (const [i, server] of servers.entries()) {
				const id = spec.variants[i]!.id
				server.truncateStdout()
				const before = server.cpuSeconds()
				const result = await wrk(machine, { url: server.url + spec.path, seconds: options.seconds })
				const used = server.cpuSeconds() - before
				if (result.socketErrors > 0) notes.push(`${id}: ${result.socketErrors} socket errors in repetition ${rep + 1}`)
				rps.set(id, [...(rps.get(id) ?? []), result.requestsPerSecond])
				cpu.set(id, [...(cpu.get(id) ?? []), (used / result.requests) * 1e6])
				p99.set(id, [...(p99.get(id) ?? []), result.latencyP99Ms])
			}
			log(`    ${spec.id}: repetition ${rep + 1}/${options.reps} done`)
		}
		const base = median(rps.get('bare') ?? [])
		const rows = spec.variants.map((variant) => {
			const samples = rps.get(variant.id) ?? []
			return {
				variant: variant.id,
				label: variant.label,
				rps: median(samples),
				ratio: median(samples) / base,
				cpuUs: median(cpu.get(variant.id) ?? []),
				p99Ms: median(p99.get(variant.id) ?? []),
				linesPerRequest: linesPerRequest.get(variant.id) ?? Number.NaN,
				samples,
			}
		})
		return { id: spec.id, title: spec.title, path: spec.path, baseline: 'bare', rows, notes }
	} finally {
		for (const server of servers) await server.stop()
	}
}

/** A throwaway database on the local PostgreSQL (trust auth), or undefined when unreachable. */
async function throwawayPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
	const admin = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
	const sql = postgres(admin, { max: 1, connect_timeout: 3, onnotice: () => {} })
	const name = `byte_bench_${process.pid}_${Date.now()}`
	try {
		await sql.unsafe(`create database ${name}`)
	} catch {
		await sql.end({ timeout: 1 }).catch(() => {})
		return undefined
	}
	const url = new URL(admin)
	url.pathname = `/${name}`
	return {
		url: url.toString(),
		async drop() {
			await sql.unsafe(`drop database if exists ${name} with (force)`).catch(() => {})
			await sql.end({ timeout: 1 }).catch(() => {})
		},
	}
}

export const HTTP_CASES = ['health', 'not-found', 'guild-pglite', 'guild-postgres'] as const

export async function runHttp(options: HttpOptions, only: readonly string[] = HTTP_CASES): Promise<HttpCase[]> {
	const cases: HttpCase[] = []
	const { log } = options
	const sink = otlpSink()
	try {
		return await runCases(options, only, cases, tracingOn(sink.url))
	} finally {
		log(`  (the OTLP sink took ${sink.exports()} export requests)`)
		await sink.stop()
	}
}

async function runCases(
	options: HttpOptions,
	only: readonly string[],
	cases: HttpCase[],
	tracing: Record<string, string>,
): Promise<HttpCase[]> {
	const { log } = options
	if (only.includes('health')) {
		log('  GET /health/live (no access line)')
		cases.push(
			await runCase(options, {
				id: 'health',
				title: 'GET /health/live: no access line (successful probes log at debug)',
				path: '/health/live',
				variants: [
					...BASELINES,
					app('app', 'API: correlation ID + async context + metrics', MEMORY),
					app('app-tracing', 'API, span export on (sampling 1.0)', { ...MEMORY, ...tracing }),
					...PEERS,
				],
			}),
		)
	}
	if (only.includes('not-found')) {
		log('  GET of an unmatched path: 404 and one JSON access line, stdout to a file')
		cases.push(
			await runCase(options, {
				id: 'not-found',
				title: 'GET of an unmatched path: 404 JSON error body and one info access line',
				path: '/bench/no-such-route',
				variants: [
					...BASELINES,
					app('app', 'API: as above + JSON access line', MEMORY),
					app('app-no-access-log', 'API, access line off (LOG_LEVEL=warning)', { ...MEMORY, LOG_LEVEL: 'warning' }),
					app('app-tracing', 'API, span export on (sampling 1.0)', { ...MEMORY, ...tracing }),
					...PEERS,
				],
				notes: ['The peers write no access line.'],
			}),
		)
	}
	const guild = `/api/guilds/${SEEDED_GUILD_ID}`
	if (only.includes('guild-pglite')) {
		log('  GET /api/guilds/:guildId on PGlite (in memory)')
		cases.push(
			await runCase(options, {
				id: 'guild-pglite',
				title: 'GET /api/guilds/:guildId on PGlite in memory (one query, one access line)',
				path: guild,
				variants: [bare(MEMORY), app('app', 'API, everything on', MEMORY)],
			}),
		)
	}
	if (only.includes('guild-postgres')) {
		const pg = await throwawayPostgres()
		if (!pg) {
			log('  PostgreSQL at 127.0.0.1:5432 is not reachable: skipping that case')
			cases.push({
				id: 'guild-postgres',
				title: 'GET /api/guilds/:guildId on PostgreSQL',
				path: guild,
				baseline: 'bare',
				rows: [],
				notes: ['Skipped: PostgreSQL at 127.0.0.1:5432 was not reachable.'],
			})
		} else {
			try {
				log('  GET /api/guilds/:guildId on PostgreSQL (throwaway database)')
				const env = { DATABASE_URL: pg.url }
				cases.push(
					await runCase(options, {
						id: 'guild-postgres',
						title: 'GET /api/guilds/:guildId on PostgreSQL 127.0.0.1:5432 (one query, one access line)',
						path: guild,
						variants: [
							bare(env),
							app('app', 'API, everything on', env),
							app('app-tracing', 'API, span export on (sampling 1.0, a span per statement)', { ...env, ...tracing }),
						],
						notes: ['PostgreSQL itself is not pinned: its backends share the cores with the server and wrk.'],
					}),
				)
			} finally {
				await pg.drop()
			}
		}
	}
	return cases
}
