/**
 * The bot's /metrics: served from the same registry the handlers and the API client write to,
 * bounded labels, and valid exposition according to promtool.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startMetricsServer } from '../../src/bot/metrics-server'
import { registerProcessMetrics } from '../../src/observability/process-metrics'
import { type FakeDiscord, snowflake, startFakeDiscord } from '../fakes/discord'
import { createTestApp, type TestApp } from '../helpers/app'
import { type InProcessBot, startInProcessBot } from './harness'
import { checkMetrics, requirePromtool } from '../helpers/promtool'

let app: TestApp
let apiServer: ReturnType<typeof Bun.serve>
let fake: FakeDiscord
let bot: InProcessBot
let metricsServer: ReturnType<typeof startMetricsServer>
let metricsUrl: string
const guildId = snowflake()

beforeAll(async () => {
	app = await createTestApp()
	apiServer = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.app.handle(request) })
	fake = startFakeDiscord({ token: 'fake' })
	bot = await startInProcessBot({ fake, apiUrl: `http://127.0.0.1:${apiServer.port}` })
	registerProcessMetrics(bot.registry, { version: '0.0.0-test' })
	metricsServer = startMetricsServer({
		registry: bot.registry,
		port: 0,
		token: 'scrape-me',
		isReady: () => bot.client.isReady(),
	})
	metricsUrl = `http://127.0.0.1:${metricsServer.port}`
	await bot.waitForLog((l) => l.event === 'Guilds reconciled')
	fake.addGuild({ id: guildId, name: 'Counted' })
	fake.dispatch('SOMETHING_DISCORD_ADDS_LATER', { id: guildId })
	await bot.waitForLog((l) => l.event === 'Guild registered')
}, 30_000)

afterAll(async () => {
	metricsServer.stop(true)
	await bot.stop()
	await fake.stop()
	apiServer.stop(true)
	await app.close()
})

const scrape = (accept?: string) =>
	fetch(`${metricsUrl}/metrics`, {
		headers: { authorization: 'Bearer scrape-me', ...(accept ? { accept } : {}) },
	})

describe('bot metrics', () => {
	test('counts gateway events by name, unknown names as other, and the API calls they caused', async () => {
		const response = await scrape()
		expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
		const text = await response.text()
		expect(text).toContain('discord_events_total{event="READY"} 1')
		expect(text).toContain('discord_events_total{event="GUILD_CREATE"} 1')
		expect(text).toContain('discord_events_total{event="other"} 1')
		expect(text).toContain('bot_api_requests_total{method="POST",endpoint="/api/guilds",status="201"} 1')
		expect(text).toContain('bot_api_requests_total{method="GET",endpoint="/api/guilds",status="200"} 1')
		expect(text).toMatch(/bot_api_request_duration_seconds_count\{method="POST",endpoint="\/api\/guilds"\} 1/)
		expect(text).toContain('# TYPE bot_api_retries_total counter')
		expect(text).toContain('process_cpu_seconds_total')
	})

	test('promtool check metrics accepts the exposition', async () => {
		if (!requirePromtool('bot /metrics lint')) return
		const { code, output } = await checkMetrics(await (await scrape()).text())
		expect(output).toBe('')
		expect(code).toBe(0)
	})

	test('OpenMetrics on request, with trace_id, span_id and the correlation ID as exemplar', async () => {
		const response = await scrape('application/openmetrics-text; version=1.0.0')
		expect(response.headers.get('content-type')).toStartWith('application/openmetrics-text')
		const text = await response.text()
		expect(text).toEndWith('# EOF\n')
		expect(text).toMatch(
			/bot_api_request_duration_seconds_bucket\{[^}]*\} 1 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}",correlation_id="[0-9a-f-]{36}"\}/,
		)
	})

	test('/metrics requires the bearer token when one is configured', async () => {
		const response = await fetch(`${metricsUrl}/metrics`)
		expect(response.status).toBe(401)
		expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
	})

	test('/health/live and /health/ready answer; other paths are 404', async () => {
		expect(await (await fetch(`${metricsUrl}/health/live`)).json()).toEqual({ status: 'ok' })
		const ready = await fetch(`${metricsUrl}/health/ready`)
		expect(ready.status).toBe(200)
		expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404)
	})
})
