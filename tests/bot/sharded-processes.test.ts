/**
 * `bun run bot` as real processes against the fake Discord: two processes splitting four
 * shards serve every guild, each with its own /metrics; a guild the bot was removed from while
 * both were down is gone from the API after they start again; a close Discord never accepts
 * again exits 1 with the code named; and API_TOKEN goes out as a bearer token on every call.
 */
import { describe, expect, test } from 'bun:test'
import {
	type FakeDiscord,
	MAX_GUILDS_PER_SHARD,
	UNICODE_GUILD_NAMES,
	shardOf,
	snowflake,
	snowflakeOnShard,
	startFakeDiscord,
} from '../fakes/discord'
import { startScriptedServer } from '../http-client/scripted-server'
import { cleanupAfterEach, serveTestApi } from './harness'
import { type RunningProcess, eventually, freePort, spawnLogged } from './processes'

const api = serveTestApi({ level: 'warning' })
const cleanup = cleanupAfterEach()

function fakeDiscord(options: Parameters<typeof startFakeDiscord>[0] = {}) {
	const fake = startFakeDiscord({ token: 'fake', maxConcurrency: 16, ...options })
	cleanup(() => fake.stop())
	return fake
}

function bot(fake: FakeDiscord, env: Record<string, string> = {}, apiUrl = api.url): RunningProcess {
	// The entrypoint itself, not `bun run bot`: a SIGKILL of the wrapper would leave the bot running.
	const proc = spawnLogged(['bun', 'src/bot/index.ts'], {
		DISCORD_TOKEN: 'fake',
		DISCORD_API_URL: fake.apiUrl,
		API_URL: apiUrl,
		LOG_FORMAT: 'json',
		...env,
	})
	cleanup(() => proc.stop())
	return proc
}

/** Waits until `proc` has logged `Guilds reconciled` for each of `shards`. */
async function reconciled(proc: RunningProcess, shards: number[]) {
	return eventually(
		async () => {
			const lines = proc.lines().filter((l) => l.event === 'Guilds reconciled')
			const done = new Set(lines.map((l) => l.shard_id))
			if (proc.proc.exitCode !== null) throw new Error(`bot exited:\n${proc.output()}`)
			return shards.every((s) => done.has(s)) ? lines : undefined
		},
		20_000,
		`shards ${shards.join(', ')} reconciled`,
	)
}

const statusOf = async (id: string) => (await api.app.request('GET', `/api/guilds/${id}`)).status

describe('one bot in two processes', () => {
	test('DISCORD_SHARD_COUNT=4 with ids 0-1 and 2-3: every guild served, each process scraped on its own port', async () => {
		const guilds = Array.from({ length: 8 }, (_, i) => ({
			id: snowflakeOnShard(i % 4, 4),
			name: UNICODE_GUILD_NAMES[i]!,
		}))
		const fake = fakeDiscord({ guilds })
		const ports = [freePort(), freePort()]
		const [low, high] = [
			bot(fake, { DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '0-1', BOT_METRICS_PORT: String(ports[0]) }),
			bot(fake, { DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '2-3', BOT_METRICS_PORT: String(ports[1]) }),
		] as const
		await reconciled(low, [0, 1])
		await reconciled(high, [2, 3])

		expect(fake.shards).toEqual([
			[0, 4],
			[1, 4],
			[2, 4],
			[3, 4],
		])
		for (const guild of guilds) expect(await statusOf(guild.id)).toBe(200)
		const [lowMetrics, highMetrics] = await Promise.all(
			ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
		)
		expect(lowMetrics).toContain('discord_shard_ready{shard="0"} 1')
		expect(lowMetrics).toContain('discord_shard_ready{shard="1"} 1')
		expect(lowMetrics).not.toContain('shard="2"')
		expect(highMetrics).toContain('discord_guilds{shard="2"} 2')
		expect(highMetrics).toContain('discord_guilds{shard="3"} 2')
		expect(highMetrics).not.toContain('shard="0"')
		const ready = await (await fetch(`http://127.0.0.1:${ports[1]}/health/ready`)).json()
		expect(ready).toEqual({ status: 'ok', shards: { '2': 'ready', '3': 'ready' } })

		// A command in a guild on shard 3 is answered by the process that runs shard 3.
		const onThree = guilds.find((g) => shardOf(g.id, 4) === 3)!
		const interaction = fake.interact({ guildId: onThree.id, commandName: 'ping' })
		const done = await high.waitForLine((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)
		expect(done).toMatchObject({ shard_id: 3, outcome: 'success' })
		expect(low.lines().some((l) => l.interaction_id === interaction.id)).toBe(false)
		// Only the process running shard 0 registers the commands.
		expect(low.lines().filter((l) => l.event === 'Slash commands registered')).toHaveLength(1)
		expect(high.lines().filter((l) => l.event === 'Slash commands registered')).toHaveLength(0)

		// Removed from a guild on each half while both were down: both are gone after the restart.
		expect(await low.stop()).toBe(0)
		expect(await high.stop()).toBe(0)
		const leftLow = guilds.find((g) => shardOf(g.id, 4) === 1)!
		const leftHigh = guilds.find((g) => shardOf(g.id, 4) === 2)!
		fake.removeGuild(leftLow.id)
		fake.removeGuild(leftHigh.id)
		const again = [
			bot(fake, { DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '0-1' }),
			bot(fake, { DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '2-3' }),
		]
		const lines = [...(await reconciled(again[0]!, [0, 1])), ...(await reconciled(again[1]!, [2, 3]))]
		expect(lines.map((l) => [l.shard_id, l.removed]).sort()).toEqual([
			[0, 0],
			[1, 1],
			[2, 1],
			[3, 0],
		])
		expect(await statusOf(leftLow.id)).toBe(404)
		expect(await statusOf(leftHigh.id)).toBe(404)
		expect(guilds.filter((g) => g !== leftLow && g !== leftHigh).length).toBe(6)
		for (const guild of guilds.filter((g) => g !== leftLow && g !== leftHigh))
			expect(await statusOf(guild.id)).toBe(200)
	}, 60_000)
})

describe('closes Discord never accepts again', () => {
	test('4014 (disallowed intents) on a running shard: an error line naming the code and the fix, exit 1', async () => {
		const fake = fakeDiscord()
		const proc = bot(fake)
		await reconciled(proc, [0])
		fake.closeShard(0, 4014)
		expect(await proc.finished).toBe(1)
		const line = proc.lines().find((l) => l.level === 'error' && l.close_code === 4014)
		expect(line?.event).toBe(
			'Gateway closed with 4014 (disallowed intents); exiting: the bot asks for a privileged intent it is not allowed: enable it under Developer Portal → Bot → Privileged Gateway Intents',
		)
		expect(line).toMatchObject({ logger: 'bot.discord', shard_id: 0 })
	}, 30_000)

	test(`4011 at login (more than ${MAX_GUILDS_PER_SHARD} guilds on one shard): exit 1 telling to raise DISCORD_SHARD_COUNT`, async () => {
		const guilds = Array.from({ length: MAX_GUILDS_PER_SHARD + 1 }, (_, i) => ({ id: snowflake(), name: `G${i}` }))
		const fake = fakeDiscord({ guilds, recommendedShards: 1 })
		const proc = bot(fake, { DISCORD_SHARD_COUNT: '1' })
		expect(await proc.finished).toBe(1)
		const errors = proc.lines().filter((l) => l.level === 'error' || l.level === 'critical')
		const fatal = errors.find((l) => l.close_code === 4011)
		expect(fatal?.event).toStartWith('Gateway closed with 4011 (sharding required); exiting: ')
		expect(fatal?.action).toContain('raise DISCORD_SHARD_COUNT')
		expect(errors.some((l) => l.event === 'Could not connect to Discord')).toBe(false)
	}, 30_000)
})

describe('API_TOKEN', () => {
	test('the first token goes out as Authorization: Bearer on every API call, and never into a log line', async () => {
		const seen: Array<string | null> = []
		const scripted = startScriptedServer(async (request) => {
			seen.push(request.headers.get('authorization'))
			if (request.method === 'GET') return Response.json({ items: [], total: 0, limit: 100, offset: 0 })
			return Response.json({ guildId: '1', guildName: 'x', prefix: '!' }, { status: 201 })
		})
		cleanup(() => scripted.stop())
		const fake = fakeDiscord({ guilds: [{ id: snowflake(), name: UNICODE_GUILD_NAMES[6] }] })
		const proc = bot(fake, { API_TOKEN: 'first-secret-token,second-secret-token', LOG_LEVEL: 'debug' }, scripted.url)
		await reconciled(proc, [0])
		expect(seen.length).toBeGreaterThanOrEqual(2) // the listing and the create
		expect(new Set(seen)).toEqual(new Set(['Bearer first-secret-token']))
		expect(proc.output()).not.toContain('secret-token')
		expect(proc.lines().find((l) => l.event === 'Bot starting')?.api_token_set).toBe(true)
	}, 30_000)
})
