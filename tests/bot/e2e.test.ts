/**
 * End to end, with real processes: the fake Discord, the real API (`bun src/index.ts`, PGlite in
 * memory) and the real bot (`bun run bot`). Discord events go in through the fake gateway; their
 * effects are checked in the API, in the fake's REST log and in both processes' JSON logs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeDiscord, snowflake, startFakeDiscord, waitFor } from '../fakes/discord'
import { type LogLine, type RunningProcess, eventually, freePort, spawnLogged } from './processes'

const apiPort = freePort()
const apiUrl = `http://127.0.0.1:${apiPort}`
const startedGuild = { id: snowflake(), name: 'Already here' }
let fake: FakeDiscord
let api: RunningProcess
let bot: RunningProcess

function startApi() {
	const proc = spawnLogged(['bun', 'src/index.ts'], {
		DATABASE_URL: 'memory://',
		HOST: '127.0.0.1',
		PORT: String(apiPort),
		LOG_FORMAT: 'json',
		LOG_LEVEL: 'debug',
	})
	return proc
}

async function guildStatus(guildId: string): Promise<number> {
	return (await fetch(`${apiUrl}/api/guilds/${guildId}`)).status
}

/** The correlation ID of the bot's "Discord event" line for this handler and guild. */
async function eventCorrelationId(handler: string, guildId: string): Promise<string> {
	const line = await bot.waitForLine(
		(l) => l.event === 'Discord event' && l.discord_event === handler && l.guild_id === guildId,
		10_000,
		`the bot's ${handler} line for ${guildId}`,
	)
	expect(line.correlation_id).toMatch(/^[0-9a-f-]{36}$/)
	return line.correlation_id!
}

const withId = (lines: LogLine[], id: string) => lines.filter((l) => l.correlation_id === id)

beforeAll(async () => {
	fake = startFakeDiscord({ token: 'fake', guilds: [startedGuild], heartbeatIntervalMs: 1_000 })
	api = startApi()
	await api.waitForLine((l) => l.event === 'API listening', 20_000, 'the API to listen')
	bot = spawnLogged(['bun', 'run', 'bot'], {
		DISCORD_TOKEN: 'fake',
		DISCORD_API_URL: fake.apiUrl,
		API_URL: apiUrl,
		LOG_FORMAT: 'json',
		LOG_LEVEL: 'debug',
	})
	await bot.waitForLine((l) => l.event === 'Guilds reconciled', 20_000, 'the first reconcile')
}, 45_000)

afterAll(async () => {
	await bot?.stop()
	await api?.stop()
	await fake?.stop()
}, 20_000)

describe('bot end to end', () => {
	test('on ready: commands registered globally, guilds already joined are created in the API', async () => {
		const put = fake.calls.find((c) => c.method === 'PUT')
		expect(put?.path).toBe(`/applications/${fake.identity.applicationId}/commands`)
		expect(put?.body.map((c: { name: string }) => c.name)).toEqual(['config', 'ping'])
		expect(await guildStatus(startedGuild.id)).toBe(200)
	})

	test('GUILD_CREATE registers the guild under one correlation ID shared by bot and API logs', async () => {
		const guild = { id: snowflake(), name: 'Litestar' }
		fake.addGuild(guild)

		await eventually(async () => (await guildStatus(guild.id)) === 200, 10_000, 'the guild in the API')
		const id = await eventCorrelationId('guildCreate', guild.id)
		const botLines = withId(bot.lines(), id)
		expect(botLines.map((l) => l.event)).toContain('API response')
		expect(botLines.find((l) => l.event === 'API response')).toMatchObject({
			method: 'POST',
			endpoint: '/api/guilds',
			status: 201,
			attempt: 1,
		})
		const apiLine = await api.waitForLine(
			(l) => l.correlation_id === id && l.event === 'Request completed',
			5_000,
			'the API request line',
		)
		expect(apiLine).toMatchObject({ method: 'POST', endpoint: '/api/guilds', status: 201 })
	}, 15_000)

	test('/config replies ephemerally with the settings held by the API', async () => {
		const guild = { id: snowflake(), name: 'Configured' }
		fake.addGuild(guild)
		await eventually(async () => (await guildStatus(guild.id)) === 200, 10_000, 'the guild in the API')
		const github = { githubOrganization: 'litestar-org', githubRepository: 'litestar', discussionSync: true }
		const put = await fetch(`${apiUrl}/api/guilds/${guild.id}/github`, {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(github),
		})
		expect(put.status).toBe(200)

		const interaction = fake.interact({ guildId: guild.id, commandName: 'config' })
		const edit = await fake.waitForCall((c) => c.method === 'PATCH' && c.path.includes(interaction.token), 10_000)

		const [callback] = fake.repliesTo(interaction)
		expect(callback?.body).toEqual({ type: 5, data: { flags: 64 } })
		expect(edit.body.content).toContain('Byte settings for Configured')
		expect(edit.body.content).toContain('`litestar-org/litestar`')
		expect(edit.body.content).toContain('Prefix: `!`')
	}, 15_000)

	test('GUILD_DELETE removes the guild; an outage (unavailable) keeps it', async () => {
		const kept = { id: snowflake(), name: 'Flaky' }
		const removed = { id: snowflake(), name: 'Leaving' }
		fake.addGuild(kept)
		fake.addGuild(removed)
		await eventually(async () => (await guildStatus(removed.id)) === 200, 10_000, 'the guild in the API')
		await eventually(async () => (await guildStatus(kept.id)) === 200, 10_000, 'the guild in the API')

		fake.removeGuild(kept.id, { unavailable: true })
		fake.removeGuild(removed.id)

		await eventually(async () => (await guildStatus(removed.id)) === 404, 10_000, 'the guild to be deleted')
		const outage = 'Guild unavailable (Discord outage); settings kept'
		await bot.waitForLine((l) => l.event === outage && l.guild_id === kept.id)
		expect(await guildStatus(kept.id)).toBe(200)
	}, 15_000)

	test('an event during an API restart is retried under its one correlation ID until it lands', async () => {
		expect(await api.stop()).toBe(0)
		const guild = { id: snowflake(), name: 'During restart' }
		fake.addGuild(guild)
		const id = await eventCorrelationId('guildCreate', guild.id)
		await bot.waitForLine(
			(l) => l.correlation_id === id && l.event === 'API request will be retried',
			10_000,
			'a scheduled retry',
		)

		api = startApi()
		await eventually(async () => (await guildStatus(guild.id)) === 200, 20_000, 'the guild after the restart')

		const attempts = withId(bot.lines(), id).filter((l) => l.event === 'API request')
		expect(attempts.length).toBeGreaterThan(1)
		expect(new Set(attempts.map((l) => l.endpoint))).toEqual(new Set(['/api/guilds']))
		const landed = await api.waitForLine((l) => l.correlation_id === id && l.event === 'Request completed')
		expect(landed).toMatchObject({ method: 'POST', status: 201 })
	}, 40_000)

	test('SIGTERM: the bot drains, disconnects and exits 0', async () => {
		expect(await bot.stop('SIGTERM', 15_000)).toBe(0)
		const settled = ['In-flight events finished', 'Gave up waiting for in-flight events']
		const stopped = bot.lines().find((l) => settled.includes(l.event))
		expect(stopped).toMatchObject({ finished: expect.any(Number), abandoned: 0 })
		await waitFor(() => fake.connections === 0 || undefined, 3_000, 'the gateway connection to close')
	}, 20_000)
})
