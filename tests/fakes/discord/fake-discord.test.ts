/**
 * The fake speaks enough of Discord for an unmodified discord.js v14 client: these tests drive
 * a real `Client` against it, so a fake that drifts from the protocol fails here first.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { Client, Events, GatewayIntentBits, type Guild, MessageFlags } from 'discord.js'
import { type FakeDiscord, snowflake, startFakeDiscord, waitFor } from './index'

let fake: FakeDiscord | undefined
let client: Client | undefined

afterEach(async () => {
	await client?.destroy()
	await fake?.stop()
	client = fake = undefined
})

async function login(options: Parameters<typeof startFakeDiscord>[0] = {}) {
	fake = startFakeDiscord({ token: 'fake-token', heartbeatIntervalMs: 200, ...options })
	client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } })
	const ready = new Promise<Client<true>>((resolve) => client!.once(Events.ClientReady, resolve))
	await client.login('fake-token')
	return { fake, client: await ready }
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
})
