/**
 * The bot's /metrics: served from the same registry the handlers, the shard monitor, the
 * Discord REST client and the API client write to, bounded labels, and valid exposition
 * according to promtool.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startMetricsServer } from '../../src/bot/metrics-server'
import { registerProcessMetrics } from '../../src/observability/process-metrics'
import { type FakeDiscord, UNICODE_GUILD_NAMES, snowflake, startFakeDiscord, waitFor } from '../fakes/discord'
import { createTestApp, type TestApp } from '../helpers/app'
import { checkMetrics, requirePromtool } from '../helpers/promtool'
import { type InProcessBot, startInProcessBot } from './harness'

const hasPromtool = requirePromtool('bot /metrics lint')

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
	fake = startFakeDiscord({ token: 'fake', heartbeatIntervalMs: 200 })
	bot = await startInProcessBot({ fake, apiUrl: `http://127.0.0.1:${apiServer.port}` })
	registerProcessMetrics(bot.registry, { version: '0.0.0-test' })
	metricsServer = startMetricsServer({ registry: bot.registry, port: 0, token: 'scrape-me', readiness: bot.readiness })
	metricsUrl = `http://127.0.0.1:${metricsServer.port}`
	await bot.waitForLog((l) => l.event === 'Guilds reconciled')
	fake.addGuild({ id: guildId, name: UNICODE_GUILD_NAMES[2] })
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
const text = async () => (await scrape()).text()

/** The value of one exposition line, or undefined when the series is absent. */
async function sample(series: string): Promise<number | undefined> {
	const line = (await text()).split('\n').find((l) => l.startsWith(`${series} `))
	return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Runs a slash command through the fake gateway and waits for its `Command completed` line. */
async function command(commandName: string, extra: { createdAgoMs?: number; expire?: boolean } = {}) {
	const interaction = fake.interact({ guildId, commandName, createdAgoMs: extra.createdAgoMs })
	if (extra.expire) fake.expireInteraction(interaction)
	return bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id, 10_000)
}

describe('bot metrics', () => {
	test('counts gateway events by name and shard, unknown names as other, and the API calls they caused', async () => {
		const response = await scrape()
		expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
		const body = await response.text()
		expect(body).toContain('discord_events_total{event="READY",shard="0"} 1')
		expect(body).toContain('discord_events_total{event="GUILD_CREATE",shard="0"} 1')
		expect(body).toContain('discord_events_total{event="other",shard="0"} 1')
		expect(body).toContain('bot_api_requests_total{method="POST",endpoint="/api/guilds",status="201"} 1')
		expect(body).toContain('bot_api_requests_total{method="GET",endpoint="/api/guilds",status="200"} 1')
		expect(body).toMatch(/bot_api_request_duration_seconds_count\{method="POST",endpoint="\/api\/guilds"\} 1/)
		expect(body).toContain('# TYPE bot_api_retries_total counter')
		expect(body).toContain('process_cpu_seconds_total')
	})

	test('shard gauges: ready, available guilds and, once a heartbeat was acknowledged, its latency', async () => {
		expect(await sample('discord_shard_ready{shard="0"}')).toBe(1)
		expect(await sample('discord_guilds{shard="0"}')).toBe(1)
		await waitFor(() => bot.client.ws.shards.get(0)!.ping >= 0 || undefined, 3_000, 'a heartbeat ack')
		const latency = await sample('discord_gateway_latency_seconds{shard="0"}')
		expect(latency).toBeGreaterThanOrEqual(0)
		expect(latency).toBeLessThan(1)
	})

	test('Discord REST responses by method, route template and status', async () => {
		const body = await text()
		expect(body).toContain('discord_rest_requests_total{method="GET",route="/gateway/bot",status="200"} 1')
		expect(body).toContain(
			'discord_rest_requests_total{method="PUT",route="/applications/:id/commands",status="200"} 1',
		)
		for (const line of body.split('\n').filter((l) => l.startsWith('discord_rest_requests_total{'))) {
			expect(line).not.toMatch(/\d{5,}[^}]*\}/) // no raw IDs or tokens in a route
		}
	})

	test('/ping and /config: counted by command and outcome, timed, acknowledged within the deadline', async () => {
		const ping = await command('ping')
		const config = await command('config')
		expect(ping).toMatchObject({ command: 'ping', outcome: 'success' })
		expect(config).toMatchObject({ command: 'config', outcome: 'success' })
		const body = await text()
		expect(body).toContain('discord_commands_total{command="ping",outcome="success"} 1')
		expect(body).toContain('discord_commands_total{command="config",outcome="success"} 1')
		expect(body).toContain('discord_command_duration_seconds_count{command="ping"} 1')
		expect(body).toContain('discord_interaction_ack_seconds_count{command="config"} 1')
		// Buckets bracket Discord's 3 s deadline; both answers came before it.
		for (const le of ['0.25', '0.5', '1', '2', '3', '5']) {
			expect(body).toContain(`discord_interaction_ack_seconds_bucket{command="ping",le="${le}"} 1`)
		}
		expect(body).toContain('discord_interactions_expired_total{command="ping"} 0')
		const callbacks =
			'discord_rest_requests_total{method="POST",route="/interactions/:id/:token/callback",status="204"}'
		expect(body).toContain(`${callbacks} 2`)
	})

	test('interactions past the 3 s window are not answered, and what Discord refuses as gone is counted', async () => {
		const late = await command('ping', { createdAgoMs: 4_000 })
		expect(late).toMatchObject({ outcome: 'error', ack_ms: null })
		const refused = await command('config', { expire: true })
		expect(refused).toMatchObject({ outcome: 'error', ack_ms: null })
		expect(await sample('discord_interactions_expired_total{command="ping"}')).toBe(1)
		expect(await sample('discord_interactions_expired_total{command="config"}')).toBe(1)
		expect(await sample('discord_commands_total{command="ping",outcome="error"}')).toBe(1)
		const body = await text()
		expect(body).toContain('route="/interactions/:id/:token/callback",status="404"} 1')
	})

	test('rate limits by scope: 429s Discord answered, and requests discord.js held back itself', async () => {
		const { client } = bot
		const commands = /\/applications\/\d+\/commands$/
		fake.rateLimit('PUT', commands, { scope: 'shared' })
		await client.application!.commands.set([])
		fake.rateLimit('PUT', commands, { scope: 'global' })
		await client.application!.commands.set([])
		// An exhausted bucket: discord.js waits before the next request instead of sending it.
		fake.override('PUT', commands, () =>
			Response.json([], {
				headers: { 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.2' },
			}),
		)
		await client.application!.commands.set([])
		await client.application!.commands.set([])
		expect(await sample('discord_rest_rate_limited_total{scope="shared"}')).toBe(1)
		// The global 429, then discord.js holding the retry until the global limit resets.
		expect(await sample('discord_rest_rate_limited_total{scope="global"}')).toBeGreaterThanOrEqual(1)
		expect(await sample('discord_rest_rate_limited_total{scope="user"}')).toBe(1)
		const body = await text()
		expect(body).toContain(
			'discord_rest_requests_total{method="PUT",route="/applications/:id/commands",status="429"} 2',
		)
	})

	test.skipIf(!hasPromtool)('promtool check metrics accepts the exposition', async () => {
		const { code, output } = await checkMetrics(await text())
		expect(output).toBe('')
		expect(code).toBe(0)
	})

	test('OpenMetrics on request, with trace_id, span_id and the correlation ID as exemplars', async () => {
		const response = await scrape('application/openmetrics-text; version=1.0.0')
		expect(response.headers.get('content-type')).toStartWith('application/openmetrics-text')
		const body = await response.text()
		expect(body).toEndWith('# EOF\n')
		expect(body).toMatch(
			/bot_api_request_duration_seconds_bucket\{[^}]*\} 1 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}",correlation_id="[0-9a-f-]{36}"\}/,
		)
		expect(body).toMatch(
			/discord_command_duration_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}",correlation_id="[0-9a-f-]{36}"\}/,
		)
	})

	test('/metrics requires the bearer token when one is configured', async () => {
		const response = await fetch(`${metricsUrl}/metrics`)
		expect(response.status).toBe(401)
		expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
	})

	test('/health/live and /health/ready answer, ready with each shard; other paths are 404', async () => {
		expect(await (await fetch(`${metricsUrl}/health/live`)).json()).toEqual({ status: 'ok' })
		const ready = await fetch(`${metricsUrl}/health/ready`)
		expect(ready.status).toBe(200)
		expect(await ready.json()).toEqual({ status: 'ok', shards: { '0': 'ready' } })
		expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404)
	})
})
