/**
 * The fake speaks enough of Discord for an unmodified discord.js v14 client: these tests drive
 * a real `Client` against it, so a fake that drifts from the protocol fails here first.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import {
	Client,
	type ClientOptions,
	DiscordAPIError,
	Events,
	GatewayIntentBits,
	type Guild,
	MessageFlags,
	RESTEvents,
	Status,
} from 'discord.js'
import {
	type FakeDiscord,
	MAX_GUILDS_PER_SHARD,
	UNICODE_GUILD_NAMES,
	UNKNOWN_INTERACTION,
	emojiGuildName,
	shardOf,
	snowflake,
	snowflakeOnShard,
	startFakeDiscord,
	waitFor,
} from './index'

let fake: FakeDiscord | undefined
let client: Client | undefined

afterEach(async () => {
	await client?.destroy()
	await fake?.stop()
	client = fake = undefined
})

async function login(options: Parameters<typeof startFakeDiscord>[0] = {}, clientOptions: Partial<ClientOptions> = {}) {
	fake = startFakeDiscord({ token: 'fake-token', heartbeatIntervalMs: 200, ...options })
	client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl }, ...clientOptions })
	const ready = new Promise<Client<true>>((resolve) => client!.once(Events.ClientReady, resolve))
	await client.login('fake-token')
	return { fake, client: await ready }
}

/** `n` guilds on each of `count` shards, with names from the mixed-script list. */
function guildsOver(count: number, n: number) {
	return Array.from({ length: count * n }, (_, i) => ({
		id: snowflakeOnShard(i % count, count),
		name: UNICODE_GUILD_NAMES[i % UNICODE_GUILD_NAMES.length]!,
	}))
}

describe('fake Discord with a real discord.js client', () => {
	test('login: gateway info over REST, plain JSON v10, IDENTIFY with the Guilds intent, READY, guilds', async () => {
		const guildId = snowflake()
		const { fake, client } = await login({ guilds: [{ id: guildId, name: 'Litestar' }] })

		expect(fake.calls.some((c) => c.method === 'GET' && c.path === '/gateway/bot')).toBe(true)
		expect(fake.calls.find((c) => c.path === '/gateway/bot')?.authorization).toBe('Bot fake-token')
		expect(fake.gatewayQueries).toEqual([{ v: '10', encoding: 'json' }])
		expect(fake.identifies).toHaveLength(1)
		expect(fake.identifies[0]).toMatchObject({
			token: 'fake-token',
			intents: GatewayIntentBits.Guilds,
			compress: false,
		})
		expect(client.user.id).toBe(fake.identity.botUserId)
		expect(client.application.id).toBe(fake.identity.applicationId)
		expect(client.guilds.cache.get(guildId)?.name).toBe('Litestar')
		expect(client.guilds.cache.get(guildId)?.available).toBe(true)
	})

	test('heartbeats are acknowledged, so the client measures a gateway ping', async () => {
		const { fake, client } = await login()
		await waitFor(() => client.ws.ping >= 0, 3_000, 'a heartbeat ack')
		expect(fake.heartbeats).toBeGreaterThan(0)
	})

	test('later dispatches reach the client as guildCreate, guildUpdate, guildDelete and guildUnavailable', async () => {
		const { fake, client } = await login()
		const events: string[] = []
		client.on(Events.GuildCreate, (g: Guild) => events.push(`create:${g.name}`))
		client.on(Events.GuildUpdate, (before: Guild, after: Guild) => events.push(`update:${before.name}->${after.name}`))
		client.on(Events.GuildUnavailable, (g: Guild) => events.push(`unavailable:${g.id}`))
		client.on(Events.GuildDelete, (g: Guild) => events.push(`delete:${g.name}`))
		const a = snowflake()
		const b = snowflake()

		fake.addGuild({ id: a, name: 'Alpha' })
		fake.addGuild({ id: b, name: 'Beta' })
		fake.renameGuild(a, 'Alpha 2')
		fake.removeGuild(b, { unavailable: true })
		fake.removeGuild(a)
		await waitFor(() => events.length === 5 || undefined, 3_000, 'five guild events')

		expect(events).toEqual([
			'create:Alpha',
			'create:Beta',
			'update:Alpha->Alpha 2',
			`unavailable:${b}`,
			'delete:Alpha 2',
		])
	})

	test('a slash command arrives as an interaction; deferred ephemeral reply and edit reach REST', async () => {
		const guildId = snowflake()
		const { fake, client } = await login({ guilds: [{ id: guildId, name: 'Litestar' }] })
		client.on(Events.InteractionCreate, async (interaction) => {
			if (!interaction.isChatInputCommand()) return
			await interaction.deferReply({ flags: MessageFlags.Ephemeral })
			await interaction.editReply(`hello from /${interaction.commandName} in ${interaction.guildId}`)
		})

		const interaction = fake.interact({ guildId, commandName: 'config' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token))

		const callback = fake.repliesTo(interaction)[0]!
		expect(callback.path).toBe(`/interactions/${interaction.id}/${interaction.token}/callback`)
		expect(callback.body).toEqual({ type: 5, data: { flags: MessageFlags.Ephemeral } })
		expect(edit.path).toBe(`/webhooks/${fake.identity.applicationId}/${interaction.token}/messages/@original`)
		expect(edit.body.content).toBe(`hello from /config in ${guildId}`)
	})

	test('bulk overwrite of commands, globally and for one guild, is echoed with ids', async () => {
		const guildId = snowflake()
		const { fake, client } = await login({ guilds: [{ id: guildId, name: 'Litestar' }] })
		const global = await client.application.commands.set([{ name: 'ping', description: 'Latency' }])
		const local = await client.application.commands.set([{ name: 'config', description: 'Settings' }], guildId)

		expect([...global.values()].map((c) => c.name)).toEqual(['ping'])
		expect([...local.values()].map((c) => c.guildId)).toEqual([guildId])
		const appId = fake.identity.applicationId
		expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.path)).toEqual([
			`/applications/${appId}/commands`,
			`/applications/${appId}/guilds/${guildId}/commands`,
		])
	})

	test('guild names with 80 emoji, right-to-left text and combining marks arrive intact', async () => {
		const names = [emojiGuildName(80), ...UNICODE_GUILD_NAMES]
		const guilds = names.map((name) => ({ id: snowflake(), name }))
		const { client } = await login({ guilds })
		expect(guilds.map((g) => client.guilds.cache.get(g.id)?.name)).toEqual(names)
		expect(names[0]).toHaveLength(160) // UTF-16 units: more than the API accepts today
	})

	test('a 429 carries Retry-After and X-RateLimit-Scope; discord.js waits and retries', async () => {
		const { fake, client } = await login()
		fake.rateLimit('PUT', /\/commands$/, { scope: 'shared' })
		const statuses: Array<[number, string | null]> = []
		client.rest.on(RESTEvents.Response, (_request, response) =>
			statuses.push([response.status, response.headers.get('x-ratelimit-scope')]),
		)
		await client.application.commands.set([{ name: 'ping', description: 'Latency' }])
		expect(statuses).toEqual([
			[429, 'shared'],
			[200, null],
		])
	})

	test('an interaction Discord has forgotten answers 10062 Unknown interaction', async () => {
		const guildId = snowflake()
		const { fake, client } = await login({ guilds: [{ id: guildId, name: 'Late' }] })
		const failed = new Promise<unknown>((resolve) =>
			client.on(Events.InteractionCreate, (interaction) => {
				if (interaction.isChatInputCommand()) interaction.deferReply().then(resolve, resolve)
			}),
		)
		fake.expireInteraction(fake.interact({ guildId, commandName: 'ping', createdAgoMs: 4_000 }))
		const error = await failed
		expect(error).toBeInstanceOf(DiscordAPIError)
		expect((error as DiscordAPIError).code).toBe(UNKNOWN_INTERACTION)
	})
})

describe('sharding', () => {
	test("shards: 'auto' takes the recommended count; each shard gets its own guilds and events", async () => {
		const guilds = guildsOver(2, 3)
		const { fake, client } = await login({ guilds, recommendedShards: 2, maxConcurrency: 16 }, { shards: 'auto' })

		expect(fake.identifies.map((d) => d.shard).sort()).toEqual([
			[0, 2],
			[1, 2],
		])
		expect(fake.shards).toEqual([
			[0, 2],
			[1, 2],
		])
		expect(client.options.shardCount).toBe(2)
		for (const guild of guilds) expect(client.guilds.cache.get(guild.id)?.shardId).toBe(shardOf(guild.id, 2))

		const seen: Array<[string, number]> = []
		client.on(Events.Raw, (packet: { t?: string; d?: { id?: string } }, shardId: number) => {
			if (packet.t === 'GUILD_UPDATE') seen.push([packet.d!.id!, shardId])
		})
		expect(fake.renameGuild(guilds[0]!.id, 'Renamed')).toBe(1)
		expect(fake.renameGuild(guilds[1]!.id, 'Renamed')).toBe(1)
		await waitFor(() => seen.length === 2 || undefined, 3_000, 'two GUILD_UPDATEs')
		expect(seen.sort()).toEqual(
			[
				[guilds[0]!.id, 0],
				[guilds[1]!.id, 1],
			].sort() as Array<[string, number]>,
		)
	})

	test('a process running shard 1 of 2 sees only that shard; events of shard 0 reach nobody', async () => {
		const guilds = guildsOver(2, 2)
		const { fake, client } = await login({ guilds }, { shards: [1], shardCount: 2 })
		expect(fake.shards).toEqual([[1, 2]])
		const cached = [...client.guilds.cache.keys()].sort()
		expect(cached).toEqual(
			guilds
				.filter((g) => shardOf(g.id, 2) === 1)
				.map((g) => g.id)
				.sort(),
		)
		expect(fake.addGuild({ id: snowflakeOnShard(0, 2), name: 'Elsewhere' })).toBe(0)
		expect(fake.addGuild({ id: snowflakeOnShard(1, 2), name: 'Here' })).toBe(1)
	})

	test('closeShard with hold: the shard is down until released, then resumes its session', async () => {
		const { fake, client } = await login(
			{ guilds: guildsOver(2, 1), recommendedShards: 2, maxConcurrency: 16 },
			{ shards: 'auto' },
		)
		const resumed = new Promise<number>((resolve) => client.once(Events.ShardResume, resolve))
		const down = fake.closeShard(1, 4000, { hold: true })
		expect(down.closed).toBe(1)
		await waitFor(() => client.ws.shards.get(1)?.status === Status.Resuming || undefined, 3_000, 'a RESUME')
		expect(client.ws.shards.get(0)?.status).toBe(Status.Ready)
		down.release()
		expect(await resumed).toBe(1)
		expect(client.ws.shards.get(1)?.status).toBe(Status.Ready)
		expect(fake.identifies).toHaveLength(2) // resumed, not identified again
	})

	test(`more than ${MAX_GUILDS_PER_SHARD} guilds on one shard: IDENTIFY is closed with 4011`, async () => {
		const guilds = Array.from({ length: MAX_GUILDS_PER_SHARD + 1 }, (_, i) => ({ id: snowflake(), name: `G${i}` }))
		fake = startFakeDiscord({ token: 'fake-token', guilds })
		client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl }, shards: [0], shardCount: 1 })
		const disconnected = new Promise<number>((resolve) => client!.once(Events.ShardDisconnect, (e) => resolve(e.code)))
		const login = client.login('fake-token').catch((error: Error) => error)
		expect(await disconnected).toBe(4011)
		expect(await login).toBeInstanceOf(Error)
		expect(fake.shards).toEqual([])
	})

	test('a shard outside 0…count-1 is closed with 4010 (invalid shard)', async () => {
		fake = startFakeDiscord({ token: 'fake-token' })
		client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl }, shards: [2], shardCount: 2 })
		const disconnected = new Promise<number>((resolve) => client!.once(Events.ShardDisconnect, (e) => resolve(e.code)))
		void client.login('fake-token').catch(() => undefined)
		expect(await disconnected).toBe(4010)
	})
})
