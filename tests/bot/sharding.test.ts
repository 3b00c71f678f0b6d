/**
 * Sharding in-process: discord.js' own sharding against the fake Discord (which routes each
 * guild to its shard), the shard states behind /health/ready and the shard gauges, the
 * per-shard start-up reconcile with its bound on concurrent API calls, and pruning that
 * stays inside this process's shards.
 */
import { describe, expect, test as bunTest } from 'bun:test'
import {
	type GuildSpec,
	UNICODE_GUILD_NAMES,
	shardOf,
	snowflakeOnShard,
	startFakeDiscord,
	waitFor,
} from '../fakes/discord'
import {
	type InProcessBot,
	type InProcessBotOptions,
	cleanupAfterEach,
	serveTestApi,
	startInProcessBot,
} from './harness'
import { eventually } from './processes'

const test = (name: string, fn: () => Promise<void>) => bunTest(name, fn, 20_000)

const api = serveTestApi({ level: 'warning' })
const cleanup = cleanupAfterEach()

/** `perShard` guilds on each of `count` shards, named in many scripts. */
function guildsOver(count: number, perShard: number): GuildSpec[] {
	return Array.from({ length: count * perShard }, (_, i) => ({
		id: snowflakeOnShard(i % count, count),
		name: `${UNICODE_GUILD_NAMES[i % UNICODE_GUILD_NAMES.length]} ${i}`,
	}))
}

async function start(
	fakeOptions: Parameters<typeof startFakeDiscord>[0],
	botOptions: Partial<InProcessBotOptions> = {},
) {
	// max_concurrency 16: every shard may IDENTIFY at once, as for large bots (1 means 5 s apart).
	const fake = startFakeDiscord({ token: 'fake', maxConcurrency: 16, heartbeatIntervalMs: 500, ...fakeOptions })
	cleanup(() => fake.stop())
	const bot = await startInProcessBot({ fake, apiUrl: api.url, serveMetrics: true, ...botOptions })
	cleanup(() => bot.stop())
	return { fake, bot }
}

const statusOf = async (id: string) => (await api.app.request('GET', `/api/guilds/${id}`)).status
const metrics = async (bot: InProcessBot) => (await fetch(`${bot.metricsUrl}/metrics`)).text()
const health = async (bot: InProcessBot) => {
	const response = await fetch(`${bot.metricsUrl}/health/ready`)
	if (response.status === 503) expect(response.headers.get('retry-after')).toBe('5')
	return {
		status: response.status,
		body: (await response.json()) as { status: string; shards: Record<string, string> },
	}
}

describe('sharding', () => {
	test('told nothing, the bot runs Discord’s recommended shard count and handles each guild on its shard', async () => {
		const guilds = guildsOver(2, 3)
		const { fake, bot } = await start({ guilds, recommendedShards: 2 })

		expect(fake.shards).toEqual([
			[0, 2],
			[1, 2],
		])
		const reconciled = await eventually(
			async () => {
				const lines = bot.logs().filter((l) => l.event === 'Guilds reconciled')
				return lines.length === 2 ? lines : undefined
			},
			10_000,
			'both shards reconciled',
		)
		expect(reconciled.map((l) => [l.shard_id, l.guilds, l.created]).sort()).toEqual([
			[0, 3, 3],
			[1, 3, 3],
		])
		for (const guild of guilds) expect(await statusOf(guild.id)).toBe(200)
		expect(
			bot
				.logs()
				.filter((l) => l.event === 'Shard ready')
				.map((l) => l.shard_id),
		).toEqual(expect.arrayContaining([0, 1]))

		const joined = { id: snowflakeOnShard(1, 2), name: UNICODE_GUILD_NAMES[5] }
		expect(fake.addGuild(joined)).toBe(1)
		const registered = await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === joined.id)
		expect(registered.shard_id).toBe(1)
		const interaction = fake.interact({ guildId: joined.id, commandName: 'config' })
		const done = await bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)
		expect(done).toMatchObject({ shard_id: 1, outcome: 'success' })

		const text = await metrics(bot)
		expect(text).toContain('discord_shard_ready{shard="0"} 1')
		expect(text).toContain('discord_shard_ready{shard="1"} 1')
		expect(text).toContain('discord_guilds{shard="1"} 4')
		expect(text).toContain('discord_events_total{event="GUILD_CREATE",shard="1"} 4')
		expect(text).toContain('discord_events_total{event="INTERACTION_CREATE",shard="1"} 1')
		expect(await health(bot)).toEqual({ status: 200, body: { status: 'ok', shards: { '0': 'ready', '1': 'ready' } } })
	})

	test('one shard’s socket killed: /health/ready is 503 and its gauge 0 until it resumes', async () => {
		const { fake, bot } = await start({ guilds: guildsOver(2, 1), recommendedShards: 2 })
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')

		const down = fake.closeShard(1, 4000, { hold: true })
		const closed = await bot.waitForLog((l) => l.event === 'Shard closed' && l.shard_id === 1)
		expect(closed).toMatchObject({ level: 'warning', close_code: 4000 })
		const unhealthy = await eventually(
			async () => {
				const result = await health(bot)
				return result.body.shards['1'] === 'resuming' ? result : undefined
			},
			5_000,
			'shard 1 resuming',
		)
		expect(unhealthy).toEqual({
			status: 503,
			body: { status: 'unavailable', shards: { '0': 'ready', '1': 'resuming' } },
		})
		const text = await metrics(bot)
		expect(text).toContain('discord_shard_ready{shard="0"} 1')
		expect(text).toContain('discord_shard_ready{shard="1"} 0')
		expect(bot.logs().some((l) => l.event === 'Shard reconnecting' && l.shard_id === 1)).toBe(true)

		down.release()
		await bot.waitForLog((l) => l.event === 'Shard resumed' && l.shard_id === 1)
		expect((await health(bot)).status).toBe(200)
		expect(await metrics(bot)).toContain('discord_shard_ready{shard="1"} 1')
	})

	test('a close Discord never accepts again is one error line naming the code and what to do', async () => {
		const { fake, bot } = await start({ guilds: guildsOver(2, 1), recommendedShards: 2 })
		fake.closeShard(0, 4014)
		const line = await bot.waitForLog((l) => l.level === 'error' && l.close_code === 4014)
		expect(line).toMatchObject({ logger: 'bot.discord', shard_id: 0, close_reason: 'disallowed intents' })
		expect(line.event).toStartWith('Gateway closed with 4014 (disallowed intents); exiting: ')
		expect(line.action).toContain('Privileged Gateway Intents')
		expect(bot.fatalCloses).toEqual([expect.objectContaining({ shardId: 0, code: 4014 })])
		await eventually(async () => (await health(bot)).body.shards['0'] === 'closed', 3_000, 'shard 0 closed')
		expect((await health(bot)).status).toBe(503)
	})

	test('a process running shard 0 of 2 prunes its own gone guilds and never touches shard 1’s', async () => {
		const mine = guildsOver(2, 2).filter((g) => shardOf(g.id, 2) === 0)
		const goneHere = { id: snowflakeOnShard(0, 2), name: 'Left while the bot was down' }
		const otherShard = { id: snowflakeOnShard(1, 2), name: 'Run by another process' }
		for (const guild of [goneHere, otherShard]) {
			expect(
				(await api.app.request('POST', '/api/guilds', { body: { guildId: guild.id, guildName: guild.name } })).status,
			).toBe(201)
		}

		const { fake, bot } = await start({ guilds: mine }, { shards: { mode: 'fixed', count: 2, ids: [0] } })
		const done = await bot.waitForLog((l) => l.event === 'Guilds reconciled')

		expect(fake.shards).toEqual([[0, 2]])
		expect(done).toMatchObject({ shard_id: 0, guilds: 2, failed: 0 })
		expect(done.removed).toBeGreaterThanOrEqual(1)
		expect(await statusOf(goneHere.id)).toBe(404)
		expect(await statusOf(otherShard.id)).toBe(200)
		for (const guild of mine) expect(await statusOf(guild.id)).toBe(200)
		expect(await health(bot)).toEqual({ status: 200, body: { status: 'ok', shards: { '0': 'ready' } } })
	})

	test('the start-up reconcile keeps at most BOT_SYNC_CONCURRENCY API calls in flight', async () => {
		let inFlight = 0
		let peak = 0
		const gate = Bun.serve({
			hostname: '127.0.0.1',
			port: 0,
			async fetch(request) {
				inFlight++
				peak = Math.max(peak, inFlight)
				try {
					await Bun.sleep(20) // long enough for calls to overlap
					const url = new URL(request.url)
					return await api.app.app.handle(new Request(`${api.url}${url.pathname}${url.search}`, request))
				} finally {
					inFlight--
				}
			},
		})
		try {
			const guilds = guildsOver(2, 12)
			const { bot } = await start(
				{ guilds, recommendedShards: 2 },
				{ apiUrl: `http://127.0.0.1:${gate.port}`, syncConcurrency: 3 },
			)
			await eventually(
				async () => bot.logs().filter((l) => l.event === 'Guilds reconciled').length === 2,
				10_000,
				'both shards reconciled',
			)
			expect(peak).toBe(3)
			for (const guild of guilds) expect(await statusOf(guild.id)).toBe(200)
		} finally {
			gate.stop(true)
		}
	})
})

describe('shard states before login', () => {
	test('a fixed plan reports its shards as connecting, and not ready, before Discord answers', async () => {
		const fake = startFakeDiscord({ token: 'fake' })
		cleanup(() => fake.stop())
		fake.override('GET', /^\/gateway\/bot$/, () => new Response(null, { status: 502 }))
		const bot = await startInProcessBot({
			fake,
			apiUrl: api.url,
			serveMetrics: true,
			waitForReady: false,
			shards: { mode: 'fixed', count: 4, ids: [2, 3] },
		})
		cleanup(() => bot.stop())
		await waitFor(() => fake.calls.some((c) => c.path === '/gateway/bot') || undefined, 5_000, 'the gateway lookup')
		expect(await health(bot)).toEqual({
			status: 503,
			body: { status: 'unavailable', shards: { '2': 'connecting', '3': 'connecting' } },
		})
		expect(await metrics(bot)).toContain('discord_shard_ready{shard="2"} 0')
	})
})
