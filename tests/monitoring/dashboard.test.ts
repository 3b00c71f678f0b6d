/**
 * monitoring/grafana: the dashboard JSON parses, points every query at the provisioned
 * datasource, covers the metrics operators need, shows exemplars on the latency panel,
 * and every query is accepted by a real Prometheus.
 */
import { afterAll, beforeAll, describe, expect, test as plainTest } from 'bun:test'
import { traceExemplar } from '../../src/observability/metrics'
import { loadDashboard, type Prometheus, repoPath, requireTools, SLOW, startPrometheus } from './support'

const { test, path } = requireTools('prometheus')

const { dashboard, panels, queries } = await loadDashboard()
const targets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, ...target })))
const datasource = (
	Bun.YAML.parse(await Bun.file(repoPath('monitoring/grafana/provisioning/datasources/prometheus.yml')).text()) as {
		datasources: {
			uid: string
			type: string
			jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid?: string; url?: string }[] }
		}[]
	}
).datasources[0]!

describe('byte.json', () => {
	plainTest('is a provisionable dashboard: uid, unique panel ids, panels inside the 24-column grid', () => {
		expect(dashboard.uid).toBe('byte')
		expect(dashboard.title).toBe('Byte')
		const ids = dashboard.panels.map((panel) => panel.id)
		expect(new Set(ids).size).toBe(ids.length)
		for (const panel of dashboard.panels) {
			expect({ panel: panel.title, fits: panel.gridPos.x + panel.gridPos.w <= 24 }).toEqual({
				panel: panel.title,
				fits: true,
			})
		}
	})

	plainTest('every panel has queries, all against the provisioned Prometheus datasource', () => {
		expect(panels.length).toBeGreaterThan(10)
		for (const panel of panels) {
			expect({ panel: panel.title, targets: panel.targets?.length ?? 0 }).not.toEqual({
				panel: panel.title,
				targets: 0,
			})
			expect(panel.datasource).toEqual({ type: datasource.type, uid: datasource.uid })
			for (const target of panel.targets ?? []) {
				expect({ panel: panel.title, expr: target.expr?.trim() ? 'set' : 'missing' }).toEqual({
					panel: panel.title,
					expr: 'set',
				})
				expect(target.datasource).toEqual({ type: datasource.type, uid: datasource.uid })
			}
		}
	})

	plainTest('covers the API, database, bot and process metrics', () => {
		const exprs = targets.map((target) => target.expr).join('\n')
		for (const metric of [
			'http_requests_total',
			'http_request_duration_seconds_bucket',
			'http_requests_in_flight',
			'guild_operations_total',
			'db_queries_total',
			'db_query_duration_seconds_bucket',
			'db_errors_total',
			'discord_events_total',
			'bot_api_requests_total',
			'bot_api_retries_total',
			'bot_api_request_duration_seconds_bucket',
			'discord_shard_ready',
			'discord_gateway_latency_seconds',
			'discord_guilds',
			'discord_commands_total',
			'discord_command_duration_seconds_bucket',
			'discord_interaction_ack_seconds_bucket',
			'discord_interactions_expired_total',
			'discord_rest_requests_total',
			'discord_rest_rate_limited_total',
			'process_resident_memory_bytes',
			'process_cpu_seconds_total',
			'nodejs_eventloop_lag_p99_seconds',
			'nodejs_heap_size_used_bytes',
		]) {
			expect(exprs).toContain(metric)
		}
		expect(exprs).toContain('sum by (endpoint) (rate(http_requests_total[5m]))')
		expect(exprs).toContain('status=~"5.."')
		expect(exprs).toContain('status=~"4.."')
		expect(exprs).toContain('sum by (operation, status) (rate(guild_operations_total[5m]))')
		expect(panels.some((panel) => panel.type === 'table' && panel.title.startsWith('Endpoints'))).toBe(true)
	})

	plainTest('the latency panels ask for exemplars, which carry trace_id', () => {
		const latency = panels.find((panel) => panel.title === 'p95 latency by endpoint')
		expect(latency?.targets).toEqual([
			expect.objectContaining({
				expr: 'histogram_quantile(0.95, sum by (le, endpoint) (rate(http_request_duration_seconds_bucket[5m])))',
				exemplar: true,
			}),
		])
		for (const title of ['p95 latency by endpoint', 'Bot → API p95 latency', 'p95 command duration']) {
			const panel = panels.find((p) => p.title === title)
			expect({ title, exemplar: panel?.targets?.[0]?.exemplar }).toEqual({ title, exemplar: true })
			expect({ title, says: panel?.description?.includes('trace_id') }).toEqual({ title, says: true })
		}
	})

	plainTest(
		'exemplar links: trace_id to the tracing data source when Grafana is told of one, else the log search',
		async () => {
			const sources = async (file: string) =>
				(
					Bun.YAML.parse(await Bun.file(repoPath('monitoring/grafana/provisioning/datasources', file)).text()) as {
						datasources: {
							uid: string
							type: string
							jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid?: string; url?: string }[] }
						}[]
					}
				).datasources
			const [tempo] = await sources('tempo.yml')
			expect(tempo).toMatchObject({ uid: 'tempo', type: 'tempo' })
			const destinations = datasource.jsonData?.exemplarTraceIdDestinations ?? []
			const traceId = destinations.find((d) => d.name === 'trace_id')
			// Grafana links to the data source only when the uid names one; the URL (log search) always.
			expect(traceId?.datasourceUid).toBe('${BYTE_TRACES_DATASOURCE}')
			expect(traceId?.url).toBe('${BYTE_LOG_SEARCH_URL}$${__value.raw}')
			expect(destinations.find((d) => d.name === 'correlation_id')?.url).toBe(traceId?.url)
			// The exemplar labels the processes write: what the destinations are named after.
			const labels = traceExemplar(
				'4bf92f3577b34da6a3ce929d0e0e4736',
				'00f067aa0ba902b7',
				'b6a77b57-0af0-450e-8a02-3f0cb842d48c',
			)
			expect(Object.keys(labels?.toJSON() ?? {})).toEqual(['trace_id', 'span_id', 'correlation_id'])
		},
	)
})

describe('the bot row', () => {
	const bot = panels.filter((panel) => panel.targets?.some((t) => /\bdiscord_(?!events)/.test(t.expr ?? '')))

	plainTest('has shards, gateway latency, guilds, commands, durations, ack latency and rate limits', () => {
		expect(bot.map((panel) => panel.title)).toEqual(
			expect.arrayContaining([
				'Shards ready',
				'Gateway latency per shard',
				'Guilds per shard',
				'Commands per second',
				'p95 command duration',
				'Interaction ack latency (3 s deadline)',
				'Discord REST rate limits',
			]),
		)
		const byTitle = (title: string) => bot.find((panel) => panel.title === title)!
		expect(byTitle('Commands per second').targets?.[0]?.expr).toBe(
			'sum by (command, outcome) (rate(discord_commands_total[5m]))',
		)
		expect(byTitle('Gateway latency per shard').targets?.[0]?.legendFormat).toBe('shard {{shard}}')
	})

	plainTest('the ack latency panel draws Discord’s 3 s deadline as a line', () => {
		const ack = bot.find((panel) => panel.title === 'Interaction ack latency (3 s deadline)') as unknown as {
			fieldConfig: {
				defaults: {
					unit: string
					thresholds: { steps: { value: number | null }[] }
					custom: { thresholdsStyle: { mode: string } }
				}
			}
		}
		expect(ack.fieldConfig.defaults.unit).toBe('s')
		expect(ack.fieldConfig.defaults.thresholds.steps.map((step) => step.value)).toEqual([null, 3])
		expect(ack.fieldConfig.defaults.custom.thresholdsStyle.mode).toBe('line')
	})
})

describe('dashboard queries against a real Prometheus', () => {
	let prometheus: Prometheus | undefined

	beforeAll(async () => {
		if (!path.prometheus) return
		prometheus = await startPrometheus(path.prometheus, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n')
	}, SLOW)
	afterAll(async () => {
		await prometheus?.stop()
	}, SLOW)

	test('accepts every expression', async () => {
		expect(queries.length).toBeGreaterThan(20)
		const rejected: string[] = []
		for (const { panel, expr } of queries) {
			expect(expr).not.toContain('$')
			const body = await prometheus!.query(expr)
			if (body.status !== 'success') rejected.push(`${panel}: ${expr}: ${body.error}`)
		}
		expect(rejected).toEqual([])
	})

	test('rejects a broken expression, so the check above means something', async () => {
		const body = await prometheus!.query('sum by (endpoint) (rate(http_requests_total[5m])')
		expect(body.status).toBe('error')
		expect(body.errorType).toBe('bad_data')
	})
})
