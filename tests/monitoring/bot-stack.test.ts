/**
 * The bot's monitoring end to end: the real bot (built by `createBot`, in-process) on the fake
 * Discord with two shards, scraped every second by a real Prometheus with the project's alert
 * rules. Traffic: slash commands, an interaction past its 3 s window, a rate-limited callback,
 * then one shard held down. Checked through Prometheus' HTTP API: every dashboard query about
 * the bot returns data, every bot metric the dashboard and the alerts name exists, the rules
 * evaluate cleanly and the shard outage makes ByteBotShardDown pending.
 */
import { afterAll, beforeAll, describe, expect } from 'bun:test'
import { registerProcessMetrics } from '../../src/observability/process-metrics'
import { type FakeDiscord, UNICODE_GUILD_NAMES, snowflakeOnShard, startFakeDiscord } from '../fakes/discord'
import { createTestApp, type TestApp } from '../helpers/app'
import { type InProcessBot, startInProcessBot } from '../bot/harness'
import {
	loadDashboard,
	type Prometheus,
	repoPath,
	requireTools,
	SLOW,
	startScrapingPrometheus,
	waitFor,
} from './support'

const { test, path } = requireTools('prometheus')

/** Metrics the bot exports about Discord (the API's are checked by stack.test.ts). */
const DISCORD_METRIC = /\bdiscord_\w+\b/

let api: TestApp | undefined
let apiServer: ReturnType<typeof Bun.serve> | undefined
let fake: FakeDiscord | undefined
let bot: InProcessBot | undefined
let prometheus: Prometheus | undefined
const guilds = Array.from({ length: 4 }, (_, i) => ({ id: snowflakeOnShard(i % 2, 2), name: UNICODE_GUILD_NAMES[i]! }))

async function value(expr: string): Promise<number | undefined> {
	const body = await prometheus!.query(expr)
	if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
	const sample = body.data.result[0]
	return sample ? Number(sample.value[1]) : undefined
}

/** Runs a slash command through the fake gateway and waits until the bot has finished it. */
async function command(commandName: string, guildId: string, createdAgoMs?: number) {
	const interaction = fake!.interact({ guildId, commandName, createdAgoMs })
	await bot!.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id, 10_000)
}

async function round() {
	for (const guild of guilds) await command(guild === guilds[0] ? 'config' : 'ping', guild.id)
}

beforeAll(async () => {
	if (!path.prometheus) return
	api = await createTestApp({ level: 'warning' })
	const app = api.app
	apiServer = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.handle(request) })
	fake = startFakeDiscord({ token: 'fake', guilds, recommendedShards: 2, maxConcurrency: 16, heartbeatIntervalMs: 300 })
	bot = await startInProcessBot({ fake, apiUrl: `http://127.0.0.1:${apiServer.port}`, serveMetrics: true })
	registerProcessMetrics(bot.registry, { version: '0.0.0-test' })
	const target = new URL(bot.metricsUrl!).host
	prometheus = await startScrapingPrometheus(path.prometheus, 'byte-bot', target)
	await waitFor('the first scrape of the bot', async () => (await value('up{job="byte-bot"}')) === 1, {
		timeoutMs: 20_000,
	})

	// Counters enter Prometheus with their first scraped value, and rate() counts what happens
	// after that: one round, Prometheus has the series, then more rounds until rates show them.
	await round()
	await waitFor('the command series', async () => ((await value('sum(discord_commands_total)')) ?? 0) > 0)
	fake.rateLimit('POST', /^\/interactions\/\d+\/[^/]+\/callback$/, { scope: 'shared' })
	await command('ping', guilds[1]!.id, 3_500) // past the window: expired, not answered
	for (const until = Date.now() + 3_000; Date.now() < until; ) await round()
	await waitFor('commands in rates', async () => ((await value('sum(rate(discord_commands_total[30s]))')) ?? 0) > 0)
	await waitFor(
		'the ack histogram in rates',
		async () => ((await value('sum(rate(discord_interaction_ack_seconds_count[30s]))')) ?? 0) > 0,
	)
	await waitFor('a gateway latency sample', async () => (await value('count(discord_gateway_latency_seconds)')) === 2)

	// One shard's socket killed and kept from resuming.
	fake.closeShard(1, 4000, { hold: true })
	await waitFor('shard 1 not ready in Prometheus', async () => (await value('discord_shard_ready{shard="1"}')) === 0)
}, 3 * SLOW)

afterAll(async () => {
	await prometheus?.stop()
	await bot?.stop()
	await fake?.stop()
	apiServer?.stop(true)
	await api?.close()
}, SLOW)

describe('Prometheus scraping the real bot', () => {
	test('every dashboard query about the bot returns data', async () => {
		const { queries } = await loadDashboard()
		const ours = queries.filter(({ expr }) => DISCORD_METRIC.test(expr))
		expect(ours.length).toBeGreaterThanOrEqual(10)
		const empty: string[] = []
		for (const { panel, expr } of ours) {
			const body = await prometheus!.query(expr)
			expect({ expr, status: body.status }).toEqual({ expr, status: 'success' })
			if (body.data.result.length === 0) empty.push(`${panel}: ${expr}`)
		}
		expect(empty).toEqual([])
	})

	test('the panels show what happened: both shards, one down, commands by outcome, a 429, an expiry', async () => {
		expect(await value('sum(discord_shard_ready)')).toBe(1)
		expect(await value('count(discord_shard_ready == 0) or vector(0)')).toBe(1)
		expect(await value('sum(discord_guilds)')).toBe(4)
		expect(await value('sum(increase(discord_interactions_expired_total[1h]))')).toBeGreaterThan(0)
		const outcomes = await prometheus!.query('sum by (command, outcome) (rate(discord_commands_total[1m])) > 0')
		expect(outcomes.data.result.map((s) => `${s.metric.command} ${s.metric.outcome}`).sort()).toEqual([
			'config success',
			'ping error',
			'ping success',
		])
		const limited = await prometheus!.query('sum by (scope) (increase(discord_rest_rate_limited_total[1m])) > 0')
		// `global` may show too: discord.js holds requests beyond Discord's 50 per second itself.
		expect(limited.data.result.map((s) => s.metric.scope)).toContain('shared')
		const p95 = await value('histogram_quantile(0.95, sum by (le) (rate(discord_interaction_ack_seconds_bucket[1m])))')
		expect(p95).toBeGreaterThan(0)
		expect(p95).toBeLessThan(3)
	})

	test('every bot metric the dashboard and the alerts name exists', async () => {
		const names = new Set((await prometheus!.api<string[]>('/api/v1/label/__name__/values')).data)
		const { queries } = await loadDashboard()
		const rules = await Bun.file(repoPath('monitoring/prometheus/alerts.yml')).text()
		const text = `${queries.map((q) => q.expr).join('\n')}\n${rules}`
		const referenced = new Set(text.match(/\bdiscord_[a-z0-9_]+\b/g))
		expect(referenced.size).toBeGreaterThanOrEqual(9)
		expect([...referenced].filter((name) => !names.has(name))).toEqual([])
	})

	test('route labels are templates, never raw IDs or tokens', async () => {
		const body = await prometheus!.api<string[]>('/api/v1/label/route/values')
		expect(body.data).toEqual(expect.arrayContaining(['/gateway/bot', '/interactions/:id/:token/callback']))
		for (const route of body.data) expect(route).not.toMatch(/\d{5,}|interaction-token/)
	})

	test(
		'the alert rules evaluate cleanly, and the held shard makes ByteBotShardDown pending',
		async () => {
			type Rules = { groups: { rules: { name: string; health: string; lastError?: string }[] }[] }
			const rules = await waitFor('every rule to be evaluated', async () => {
				const body = await prometheus!.api<Rules>('/api/v1/rules')
				const all = body.data.groups.flatMap((group) => group.rules)
				return all.length > 0 && all.every((rule) => rule.health !== 'unknown') ? all : undefined
			})
			for (const rule of rules.filter((r) => r.name.startsWith('ByteBot'))) {
				expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({
					rule: rule.name,
					health: 'ok',
					error: '',
				})
			}
			type Alerts = { alerts: { labels: Record<string, string>; state: string }[] }
			const alerts = await waitFor('ByteBotShardDown and ByteBotInteractionsExpiring', async () => {
				const body = await prometheus!.api<Alerts>('/api/v1/alerts')
				const names = new Set(body.data.alerts.map((alert) => alert.labels.alertname))
				return names.has('ByteBotShardDown') && names.has('ByteBotInteractionsExpiring') ? body.data.alerts : undefined
			})
			const down = alerts.find((alert) => alert.labels.alertname === 'ByteBotShardDown')!
			expect(down).toMatchObject({ state: 'pending', labels: { shard: '1', job: 'byte-bot' } })
			// `for: 0m`: an expired interaction fires at once.
			const expiring = alerts.find((alert) => alert.labels.alertname === 'ByteBotInteractionsExpiring')!
			expect(expiring).toMatchObject({ state: 'firing', labels: { command: 'ping' } })
		},
		SLOW,
	)
})
