/**
 * The bot's event handlers, in-process: a real discord.js client on the fake Discord, the
 * real handlers, the shared HTTP client and a real API (in-memory PGlite) on a local port.
 */
import { describe, expect, test as bunTest } from 'bun:test'
import { type FakeDiscord, type GuildSpec, UNICODE_GUILD_NAMES, snowflake, startFakeDiscord } from '../fakes/discord'
import { closedPortUrl } from '../http-client/scripted-server'
import { cleanupAfterEach, serveTestApi, startInProcessBot } from './harness'
import { eventually } from './processes'

/** Each test logs a client in and waits on real I/O: more than Bun's 5 s default on a busy machine. */
const test = (name: string, fn: () => Promise<void>) => bunTest(name, fn, 15_000)

const api = serveTestApi()
const cleanup = cleanupAfterEach()

interface StartOptions {
	guilds?: GuildSpec[]
	devGuildId?: string
	/** The API base URL (default: the test API). */
	api?: string
}

async function start(options: StartOptions = {}) {
	const fake = startFakeDiscord({ token: 'fake', guilds: options.guilds, heartbeatIntervalMs: 500 })
	cleanup(() => fake.stop())
	const bot = await startInProcessBot({
		fake,
		apiUrl: options.api ?? api.url,
		devGuildId: options.devGuildId,
		// Short budgets only where the API is meant to be down, so failures come quickly.
		totalTimeoutMs: options.api ? 300 : 5_000,
		commandBudgetMs: options.api ? 300 : 5_000,
	})
	cleanup(() => bot.stop())
	return { fake, bot }
}

const guildIn = async (id: string) => (await api.app.request('GET', `/api/guilds/${id}`)).json
const statusOf = async (id: string) => (await api.app.request('GET', `/api/guilds/${id}`)).status

describe('ready', () => {
	test('registers /config and /ping globally; the shard creates missing guilds, fixes names, prunes the gone', async () => {
		const registered = { id: snowflake(), name: UNICODE_GUILD_NAMES[1] }
		const missing = { id: snowflake(), name: UNICODE_GUILD_NAMES[0] }
		const outage = { id: snowflake(), name: 'Outage', unavailable: true }
		const gone = { id: snowflake(), name: 'Removed while the bot was down' }
		await api.app.request('POST', '/api/guilds', { body: { guildId: registered.id, guildName: 'Old name' } })
		await api.app.request('POST', '/api/guilds', { body: { guildId: outage.id, guildName: outage.name } })
		await api.app.request('POST', '/api/guilds', { body: { guildId: gone.id, guildName: gone.name } })

		const { fake, bot } = await start({ guilds: [registered, missing, outage] })
		const done = await bot.waitForLog((l) => l.event === 'Guilds reconciled')

		const put = fake.calls.find((c) => c.method === 'PUT')!
		expect(put.path).toBe(`/applications/${fake.identity.applicationId}/commands`)
		expect(put.body.map((c: { name: string }) => c.name)).toEqual(['config', 'ping'])
		expect((await guildIn(missing.id)).guildName).toBe(missing.name)
		expect((await guildIn(registered.id)).guildName).toBe(registered.name)
		expect(await statusOf(gone.id)).toBe(404)
		expect(await statusOf(outage.id)).toBe(200) // an outage never prunes settings
		// Earlier tests' guilds are in the API too, and gone from this fake Discord.
		expect(done).toMatchObject({ shard_id: 0, guilds: 3, created: 1, renamed: 1, failed: 0, skipped: 0 })
		expect(done.removed).toBeGreaterThanOrEqual(1)
		const shardLine = bot.logs().find((l) => l.event === 'Discord event' && l.discord_event === 'shardReady')!
		expect(shardLine.shard_id).toBe(0)
		expect(done.correlation_id).toBe(shardLine.correlation_id!)
	})

	test('with a dev guild, registers the commands in that guild only', async () => {
		const dev = { id: snowflake(), name: 'Dev' }
		const { fake, bot } = await start({ guilds: [dev], devGuildId: dev.id })
		await bot.waitForLog((l) => l.event === 'Slash commands registered')
		const puts = fake.calls.filter((c) => c.method === 'PUT').map((c) => c.path)
		expect(puts).toEqual([`/applications/${fake.identity.applicationId}/guilds/${dev.id}/commands`])
	})
})

describe('guild lifecycle', () => {
	test('guildCreate registers the guild; its log lines and API call share one correlation ID', async () => {
		const { fake, bot } = await start()
		const guild = { id: snowflake(), name: 'Joined' }
		api.app.clearLogs()

		fake.addGuild(guild)
		const done = await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === guild.id)

		expect(await statusOf(guild.id)).toBe(200)
		const id = done.correlation_id!
		const events = bot
			.logs()
			.filter((l) => l.correlation_id === id)
			.map((l) => l.event)
		expect(events).toEqual(['Discord event', 'API request', 'API response', 'Guild registered'])
		const apiLine = api.app.logs().find((l) => l.event === 'Request completed' && l.correlation_id === id)
		expect(apiLine).toMatchObject({ method: 'POST', endpoint: '/api/guilds', status: 201 })
	})

	test('guildCreate for a guild the API already has is fine', async () => {
		const guild = { id: snowflake(), name: 'Known' }
		const { fake, bot } = await start()
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')
		await api.app.request('POST', '/api/guilds', { body: { guildId: guild.id, guildName: guild.name } })
		fake.addGuild(guild)
		await bot.waitForLog((l) => l.event === 'Guild already registered' && l.guild_id === guild.id)
		expect(bot.logs().filter((l) => l.level === 'error')).toEqual([])
	})

	test('guildUpdate renames; a guild the API lost is registered again', async () => {
		const kept = { id: snowflake(), name: 'Before' }
		const lost = { id: snowflake(), name: 'Lost' }
		const { fake, bot } = await start({ guilds: [kept, lost] })
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')
		await api.app.request('DELETE', `/api/guilds/${lost.id}`)

		fake.renameGuild(kept.id, 'After')
		fake.renameGuild(lost.id, 'Found')

		await eventually(async () => (await guildIn(kept.id))?.guildName === 'After', 3_000, 'the rename')
		await eventually(async () => (await guildIn(lost.id))?.guildName === 'Found', 3_000, 'the re-registration')
	})

	test('guildDelete removes the guild; an outage keeps it; a repeat delete is fine', async () => {
		const flaky = { id: snowflake(), name: 'Flaky' }
		const leaving = { id: snowflake(), name: 'Leaving' }
		const { fake, bot } = await start({ guilds: [flaky, leaving] })
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')
		await api.app.request('DELETE', `/api/guilds/${leaving.id}`) // already gone: 404 must be fine

		fake.removeGuild(flaky.id, { unavailable: true })
		fake.removeGuild(leaving.id)

		await bot.waitForLog((l) => l.event === 'Guild removed' && l.guild_id === leaving.id)
		expect(bot.logs().find((l) => l.event === 'Guild removed')?.result).toBe('already-gone')
		await bot.waitForLog((l) => l.event === 'Guild unavailable (Discord outage); settings kept')
		expect(await statusOf(flaky.id)).toBe(200)
	})
})

describe('slash commands', () => {
	test('/config answers ephemerally with name, prefix, GitHub link and forum settings', async () => {
		const guild = { id: snowflake(), name: 'Configured' }
		const { fake, bot } = await start({ guilds: [guild] })
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')
		await api.app.request('PATCH', `/api/guilds/${guild.id}`, { body: { prefix: '?' } })
		await api.app.request('PUT', `/api/guilds/${guild.id}/github`, {
			body: { githubOrganization: 'litestar-org', githubRepository: 'litestar', discussionSync: false },
		})
		const forum = (await api.app.request('GET', `/api/guilds/${guild.id}/forum`)).json
		const helpForum = {
			helpForum: true,
			helpForumCategory: 'Help',
			helpThreadAutoClose: true,
			helpThreadAutoCloseDays: 7,
		}
		const put = await api.app.request('PUT', `/api/guilds/${guild.id}/forum`, { body: { ...forum, ...helpForum } })
		expect(put.status).toBe(200)

		const interaction = fake.interact({ guildId: guild.id, commandName: 'config' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token))

		expect(fake.repliesTo(interaction)[0]?.body).toEqual({ type: 5, data: { flags: 64 } })
		const content: string = edit.body.content
		expect(content).toContain('**Byte settings for Configured**')
		expect(content).toContain('Prefix: `?`')
		expect(content).toContain('GitHub: `litestar-org/litestar` · discussion sync off')
		expect(content).toContain('Help forum: on (category `Help`, auto-close after 7 days)')
		expect(content).toContain('Showcase forum: off')
	})

	test('/ping reports the gateway latency and the API round trip', async () => {
		const { fake, bot } = await start()
		await eventually(async () => bot.client.ws.ping >= 0, 3_000, 'a heartbeat ack')
		const interaction = fake.interact({ guildId: snowflake(), commandName: 'ping' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token))
		expect(edit.body.content).toMatch(/^Pong! Discord gateway: \d+ ms · Byte API round trip: \d+ ms$/)
	})
})

describe('command outcomes', () => {
	test('one Command completed line per interaction, under its correlation ID, with both durations', async () => {
		const guild = { id: snowflake(), name: UNICODE_GUILD_NAMES[3] }
		const { fake, bot } = await start({ guilds: [guild] })
		await bot.waitForLog((l) => l.event === 'Guilds reconciled')

		const interaction = fake.interact({ guildId: guild.id, commandName: 'config' })
		const done = await bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)

		const received = bot.logs().find((l) => l.event === 'Discord event' && l.discord_event === 'interactionCreate')!
		expect(done).toMatchObject({
			level: 'info',
			logger: 'bot.events',
			correlation_id: received.correlation_id,
			command: 'config',
			guild_id: guild.id,
			shard_id: 0,
			outcome: 'success',
		})
		expect(done.duration_ms).toBeGreaterThanOrEqual(0)
		expect(done.ack_ms).toBeGreaterThanOrEqual(0)
		expect(done.ack_ms).toBeLessThan(3_000)
		const edit = fake.repliesTo(interaction).at(-1)!
		expect(edit.body.content).toContain(`**Byte settings for ${guild.name}**`)
	})

	test('a command Byte no longer has is answered and counted as other', async () => {
		const { fake, bot } = await start()
		const interaction = fake.interact({ guildId: snowflake(), commandName: 'legacy-command' })
		const done = await bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)
		expect(done).toMatchObject({ command: 'other', outcome: 'success' })
		expect(fake.repliesTo(interaction)[0]?.body.data.content).toBe('Byte does not know this command (any more).')
		expect(bot.registry.render('text')).toContain('discord_commands_total{command="other",outcome="success"} 1')
	})

	test('past the 3 s window the interaction is not answered (Discord would refuse it with 10062)', async () => {
		const { fake, bot } = await start()
		const interaction = fake.interact({ guildId: snowflake(), commandName: 'ping', createdAgoMs: 3_500 })
		const done = await bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)
		expect(done).toMatchObject({ command: 'ping', outcome: 'error', ack_ms: null })
		const warning = bot.logs().find((l) => l.level === 'warning' && l.correlation_id === done.correlation_id)
		expect(warning?.event).toMatch(/past Discord's 3000 ms window/)
		expect(fake.repliesTo(interaction)).toEqual([])
		expect(bot.logs().filter((l) => l.level === 'error')).toEqual([])
		expect(bot.registry.render('text')).toContain('discord_interactions_expired_total{command="ping"} 1')
	})
})

describe('failures', () => {
	test('API down: /config gets a friendly reply with the correlation ID, logged at error; the bot carries on', async () => {
		const guild = { id: snowflake(), name: 'Unlucky' }
		const { fake, bot } = await start({ api: closedPortUrl() })

		const interaction = fake.interact({ guildId: guild.id, commandName: 'config' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token), 5_000)

		// (The ready handler's reconcile fails the same way; this is about the interaction.)
		const failure = await bot.waitForLog(
			(l) => l.event === 'Discord event failed: API unavailable' && l.discord_event === 'interactionCreate',
		)
		expect(failure.level).toBe('error')
		expect(failure.correlation_id).toMatch(/^[0-9a-f-]{36}$/)
		expect(edit.body.content).toContain(`\`${failure.correlation_id}\``)
		expect(edit.body.content).toStartWith('Sorry, Byte could not reach its settings service')
		expect(bot.registry.render('text')).toContain('discord_handler_failures_total{handler="interactionCreate"} 1')

		// The next event is still handled (and fails the same way, separately).
		fake.addGuild(guild)
		const next = await bot.waitForLog(
			(l) => l.discord_event === 'guildCreate' && l.event.startsWith('Discord event failed'),
		)
		expect(next.correlation_id).not.toBe(failure.correlation_id)
	})

	test('API down: /ping still answers, with the reference to quote', async () => {
		const { fake } = await start({ api: closedPortUrl() })
		const interaction = fake.interact({ guildId: snowflake(), commandName: 'ping' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token), 5_000)
		expect(edit.body.content).toMatch(/Byte API round trip: unreachable \(reference `[0-9a-f-]{36}`\)$/)
	})
})
