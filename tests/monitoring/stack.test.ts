/**
 * The monitoring stack end to end: the real API (built with the project's test helper and
 * served over HTTP) scraped every second by a real Prometheus with exemplar storage and the
 * project's alert rules. Traffic covers successes, 4xx of every kind and, after the database
 * is closed, 5xx. Everything is then checked through Prometheus' HTTP API: the PromQL from
 * the docs, the dashboard's queries, the alert rules, and correlation_id exemplars that
 * match the IDs this test sent.
 */
import { afterAll, beforeAll, describe, expect } from 'bun:test'
import type { Server } from 'bun'
import { VERSION } from '../../src/app'
import { registerProcessMetrics } from '../../src/observability/process-metrics'
import { createTestApp, type TestApp } from '../helpers/app'
import {
	freePort,
	loadDashboard,
	type Prometheus,
	type Vector,
	repoPath,
	requireTools,
	SLOW,
	startScrapingPrometheus,
	waitFor,
} from './support'

const { test, path } = requireTools('prometheus')

const GUILD = '/api/guilds/:guildId'
/** Metrics only the bot exports; nothing in this test produces them. */
const BOT_METRIC = /\b(discord_\w+|bot_api_\w+)\b/

let api: TestApp | undefined
let server: Server<undefined> | undefined
let prometheus: Prometheus | undefined
const startedAt = Date.now() / 1000

/** Every correlation ID this test sent, with the route template it went to. */
const sent = new Map<string, string>()
const statuses = new Map<string, Set<number>>()
let sequence = 0

async function send(method: string, url: string, endpoint: string, body?: unknown, raw?: string) {
	const id = `mon-${++sequence}`
	sent.set(id, endpoint)
	const headers: Record<string, string> = { 'x-correlation-id': id }
	if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
	const response = await fetch(`http://127.0.0.1:${server!.port}${url}`, {
		method,
		headers,
		body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
	})
	await response.arrayBuffer()
	expect(response.headers.get('x-correlation-id')).toBe(id)
	const seen = statuses.get(`${method} ${endpoint}`) ?? new Set<number>()
	seen.add(response.status)
	statuses.set(`${method} ${endpoint}`, seen)
	return response.status
}

/** One round of traffic against a healthy database: successes and every kind of 4xx. */
async function healthyRound(round: number) {
	const guildId = String(900_000_000_000_000_000n + BigInt(round))
	await send('GET', '/health/ready', '/health/ready')
	await send('POST', '/api/guilds', '/api/guilds', { guildId, guildName: `Monitoring ${round}` }) // 201
	await send('POST', '/api/guilds', '/api/guilds', { guildId, guildName: `Monitoring ${round}` }) // 409 duplicate
	await send('POST', '/api/guilds', '/api/guilds', { guildId: 'not-a-snowflake' }) // 422
	await send('POST', '/api/guilds', '/api/guilds', undefined, '{"guildId": ') // 400 malformed JSON
	await send('GET', `/api/guilds/${guildId}`, GUILD) // 200
	await send('GET', '/api/guilds/123456789012345678', GUILD) // 404 fetch error
	await send('PATCH', `/api/guilds/${guildId}`, GUILD, { guildName: `Renamed ${round}` }) // 200
	await send('GET', '/api/guilds?limit=5', '/api/guilds') // 200
	await send('GET', `/no/such/route/${round}`, 'unmatched') // 404
	await send('DELETE', `/api/guilds/${guildId}`, GUILD) // 204
}

/** One round once the database is gone: every route that touches it answers 5xx. */
async function outageRound(round: number) {
	const guildId = String(910_000_000_000_000_000n + BigInt(round))
	await send('GET', '/health/ready', '/health/ready') // 503
	await send('GET', '/health/ready', '/health/ready') // 503
	await send('GET', `/api/guilds/${guildId}`, GUILD) // 5xx
	await send('POST', '/api/guilds', '/api/guilds', { guildId, guildName: 'Outage' }) // 5xx
	await send('GET', '/api/guilds?limit=5', '/api/guilds') // 5xx
}

async function value(expr: string): Promise<number | undefined> {
	const body = await prometheus!.query(expr)
	if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
	const sample = body.data.result[0]
	return sample ? Number(sample.value[1]) : undefined
}

async function series(expr: string): Promise<Vector['result']> {
	const body = await prometheus!.query(expr)
	expect({ expr, status: body.status, error: body.error }).toEqual({ expr, status: 'success', error: undefined })
	return body.data.result
}

beforeAll(async () => {
	if (!path.prometheus) return
	const port = freePort()
	// Prometheus first: its first scrape waits for target discovery (about 5 s), which
	// overlaps with building the app.
	const starting = startScrapingPrometheus(path.prometheus, 'byte-api', `127.0.0.1:${port}`)
	api = await createTestApp({ level: 'warning' })
	registerProcessMetrics(api.registry, { version: VERSION })
	const app = api.app
	server = Bun.serve({ hostname: '127.0.0.1', port, fetch: (request) => app.handle(request) })
	prometheus = await starting

	await waitFor('the first scrape of the API', async () => (await value('up{job="byte-api"}')) === 1, {
		timeoutMs: 20_000,
	})

	// A counter series enters Prometheus with the value it has at its first scrape, and
	// rate() only counts what happens after that. So each phase sends one round, waits for
	// Prometheus to have the new series, then sends the rest and waits until rates show it.
	const seen = (expr: string) => async () => ((await value(expr)) ?? 0) > 0

	// Healthy traffic: successes and every kind of 4xx, for three seconds (several scrapes).
	let rounds = 1
	await healthyRound(rounds)
	await waitFor('the guild series', seen(`sum(http_requests_total{endpoint="${GUILD}",status="404"})`))
	for (const until = Date.now() + 3_000; Date.now() < until; ) await healthyRound(++rounds)
	await waitFor('guild traffic in rates', seen(`sum(rate(http_requests_total{endpoint="${GUILD}",status="404"}[30s]))`))

	// Database outage: close it and send as many rounds again, so failures outweigh the
	// earlier successes by construction (the alert ratios below do not depend on timing).
	await api.close()
	await outageRound(1)
	await waitFor('the 5xx series', seen('sum(http_requests_total{status=~"5.."})'))
	for (let round = 2; round <= rounds + 1; round++) await outageRound(round)
	await waitFor('5xx in rates', seen('sum(rate(http_requests_total{status=~"5.."}[30s]))'))
}, 2 * SLOW)

afterAll(async () => {
	await server?.stop(true)
	await prometheus?.stop()
	await api?.close().catch(() => {})
}, SLOW)

describe('Prometheus scraping the real API', () => {
	test('the traffic produced what it was meant to', () => {
		// The outage answers 500 or 503 depending on how the driver fails; either is a 5xx.
		const kinds = (key: string) => [...(statuses.get(key) ?? [])].map((s) => (s >= 500 ? '5xx' : String(s))).sort()
		expect(new Set(kinds('POST /api/guilds'))).toEqual(new Set(['201', '409', '422', '400', '5xx']))
		expect(new Set(kinds(`GET ${GUILD}`))).toEqual(new Set(['200', '404', '5xx']))
		expect(statuses.get('GET /health/ready')).toEqual(new Set([200, 503]))
		expect(statuses.get('GET unmatched')).toEqual(new Set([404]))
	})

	test('request rate, 4xx and 5xx rates from the docs answer with data', async () => {
		expect(await value('sum(rate(http_requests_total[30s]))')).toBeGreaterThan(0)
		const clientErrors = await series('sum by (status) (rate(http_requests_total{status=~"4.."}[30s]))')
		expect(clientErrors.map((s) => s.metric.status).sort()).toEqual(['400', '404', '409', '422'])
		const serverErrors = await series('sum by (endpoint) (rate(http_requests_total{status=~"5.."}[30s]))')
		expect(serverErrors.map((s) => s.metric.endpoint).sort()).toEqual([GUILD, '/api/guilds', '/health/ready'].sort())
		for (const s of serverErrors) expect(Number(s.value[1])).toBeGreaterThan(0)
	})

	test('p95 latency is a number', async () => {
		const p95 = await value('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))')
		expect(p95).toBeGreaterThan(0)
		expect(p95).toBeLessThan(10)
	})

	test('endpoint labels are route templates, never raw paths', async () => {
		const body = await prometheus!.api<string[]>('/api/v1/label/endpoint/values')
		expect(body.data).toEqual(expect.arrayContaining([GUILD, '/api/guilds', '/health/ready', '/metrics', 'unmatched']))
		for (const endpoint of body.data) expect(endpoint).not.toMatch(/\d{3,}/)
	})

	test('guild operations count successes and errors (missing, duplicate, outage)', async () => {
		const moved = await series('sum by (operation, status) (increase(guild_operations_total[1m])) > 0')
		const keys = moved.map((s) => `${s.metric.operation} ${s.metric.status}`)
		expect(keys).toEqual(
			expect.arrayContaining([
				'create success',
				'create error',
				'fetch success',
				'fetch error',
				'update success',
				'delete success',
			]),
		)
	})

	test('database queries, their latency and their errors are scraped', async () => {
		expect(await value('sum(increase(db_queries_total[1m]))')).toBeGreaterThan(0)
		expect(
			await value('histogram_quantile(0.95, sum by (le) (rate(db_query_duration_seconds_bucket[30s])))'),
		).toBeGreaterThan(0)
		expect(await value('sum(increase(db_errors_total[1m]))')).toBeGreaterThan(0)
	})

	test('latency exemplars carry the correlation IDs this test sent, on the right route', async () => {
		const body = await prometheus!.api<
			{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]
		>('/api/v1/query_exemplars', {
			query: 'http_request_duration_seconds_bucket{job="byte-api"}',
			start: startedAt - 60,
			end: Date.now() / 1000 + 60,
		})
		expect(body.status).toBe('success')
		const ours: string[] = []
		for (const { seriesLabels, exemplars } of body.data) {
			for (const exemplar of exemplars) {
				const id = exemplar.labels.correlation_id
				expect(id).toBeDefined()
				// Only Prometheus' own scrapes arrive without an ID (the API generates a UUID).
				if (seriesLabels.endpoint === '/metrics') continue
				expect({ id, endpoint: sent.get(id!) }).toEqual({ id, endpoint: seriesLabels.endpoint })
				ours.push(id!)
			}
		}
		expect(ours.length).toBeGreaterThan(0)
		const endpoints = new Set(ours.map((id) => sent.get(id)))
		expect(endpoints).toContain(GUILD)
	})

	test(
		'the alert rules are loaded and evaluate cleanly',
		async () => {
			const expected = (
				Bun.YAML.parse(await Bun.file(repoPath('monitoring/prometheus/alerts.yml')).text()) as {
					groups: { rules: { alert?: string }[] }[]
				}
			).groups.flatMap((group) => group.rules.map((rule) => rule.alert))
			type Rules = { groups: { rules: { name: string; health: string; lastError?: string; type: string }[] }[] }
			const loaded = await waitFor('every rule to be evaluated', async () => {
				const body = await prometheus!.api<Rules>('/api/v1/rules')
				const rules = body.data.groups.flatMap((group) => group.rules)
				return rules.length === expected.length && rules.every((rule) => rule.health !== 'unknown') ? rules : undefined
			})
			expect(loaded.map((rule) => rule.name).sort()).toEqual([...expected].sort() as string[])
			for (const rule of loaded)
				expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({
					rule: rule.name,
					health: 'ok',
					error: '',
				})
		},
		SLOW,
	)

	test(
		'the outage trips the error, readiness and database alerts (pending until their for:)',
		async () => {
			type Alerts = { alerts: { labels: { alertname: string }; state: string }[] }
			const want = ['ByteApiHighErrorRatio', 'ByteApiNotReady', 'ByteDatabaseErrors']
			const active = await waitFor('the outage alerts to go pending', async () => {
				const body = await prometheus!.api<Alerts>('/api/v1/alerts')
				const names = new Set(body.data.alerts.map((alert) => alert.labels.alertname))
				return want.every((name) => names.has(name)) ? body.data.alerts : undefined
			})
			for (const alert of active.filter((a) => want.includes(a.labels.alertname))) expect(alert.state).toBe('pending')
			expect(active.map((alert) => alert.labels.alertname)).not.toContain('ByteTargetDown')
		},
		SLOW,
	)

	test(
		'every dashboard query about the API returns data',
		async () => {
			const { queries } = await loadDashboard()
			const empty: string[] = []
			for (const { panel, expr } of queries) {
				if (BOT_METRIC.test(expr)) continue
				if ((await series(expr)).length === 0) empty.push(`${panel}: ${expr}`)
			}
			expect(empty).toEqual([])
		},
		SLOW,
	)

	test('every metric the dashboard and the alerts name exists, apart from the bot’s', async () => {
		const names = new Set((await prometheus!.api<string[]>('/api/v1/label/__name__/values')).data)
		const { queries } = await loadDashboard()
		const rules = await Bun.file(repoPath('monitoring/prometheus/alerts.yml')).text()
		const text = `${queries.map((q) => q.expr).join('\n')}\n${rules}`
		const referenced = new Set(
			text.match(/\b[a-z][a-z0-9_]*_(?:total|bucket|seconds|bytes|info|in_flight|count|sum)\b/g),
		)
		const missing = [...referenced].filter((name) => !BOT_METRIC.test(name) && !names.has(name))
		// metrics_series_dropped_total only has series once a metric overflows.
		expect(missing.filter((name) => name !== 'metrics_series_dropped_total')).toEqual([])
		expect(referenced.size).toBeGreaterThan(10)
	})
})
