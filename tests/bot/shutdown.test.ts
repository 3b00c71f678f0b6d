/**
 * `bun run bot` on SIGTERM: events still running get SHUTDOWN_TIMEOUT_MS to finish their API
 * calls; the log says how many finished and how many were abandoned; their spans are flushed
 * with what is left of the budget; the exit code is 0.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { type FakeDiscord, snowflake, startFakeDiscord } from '../fakes/discord'
import { startOtlpReceiver } from '../helpers/otlp-receiver'
import { startScriptedServer } from '../http-client/scripted-server'
import { type RunningProcess, spawnLogged } from './processes'

const cleanup: Array<() => unknown> = []
afterEach(async () => {
	for (const step of cleanup.splice(0).reverse()) await step()
}, 15_000)

/** An API stand-in that lists no guilds and answers creates after `createDelayMs` (or never). */
function slowApi(createDelayMs: number | undefined) {
	const server = startScriptedServer(async (request, _n, body) => {
		if (request.method === 'GET') return Response.json({ items: [], total: 0, limit: 100, offset: 0 })
		if (createDelayMs === undefined) return new Response(null, { status: 503 })
		await Bun.sleep(createDelayMs)
		return Response.json({ ...JSON.parse(body), prefix: '!' }, { status: 201 })
	})
	cleanup.push(() => server.stop())
	return server
}

async function startBot(fake: FakeDiscord, apiUrl: string, env: Record<string, string> = {}): Promise<RunningProcess> {
	const bot = spawnLogged(['bun', 'run', 'bot'], {
		DISCORD_TOKEN: 'fake',
		DISCORD_API_URL: fake.apiUrl,
		API_URL: apiUrl,
		LOG_FORMAT: 'json',
		SHUTDOWN_TIMEOUT_MS: '1500',
		...env,
	})
	// SIGTERM first: a SIGKILL of `bun run` alone would leave the bot itself running.
	cleanup.push(() => bot.stop())
	await bot.waitForLine((l) => l.event === 'Guilds reconciled', 15_000, 'the first reconcile')
	return bot
}

function fakeDiscord() {
	const fake = startFakeDiscord({ token: 'fake' })
	cleanup.push(() => fake.stop())
	return fake
}

describe('shutdown', () => {
	test('an event whose API call completes within the bound is waited for', async () => {
		const fake = fakeDiscord()
		const api = slowApi(500)
		const bot = await startBot(fake, api.url)
		const guildId = snowflake()

		fake.addGuild({ id: guildId, name: 'Almost done' })
		await bot.waitForLine((l) => l.event === 'Discord event' && l.guild_id === guildId)
		expect(await bot.stop('SIGTERM', 10_000)).toBe(0)

		const lines = bot.lines()
		expect(lines.find((l) => l.event === 'Shutting down')).toMatchObject({ signal: 'SIGTERM', in_flight: 1 })
		expect(lines.find((l) => l.event === 'Guild registered')?.guild_id).toBe(guildId)
		expect(lines.find((l) => l.event === 'In-flight events finished')).toMatchObject({ finished: 1, abandoned: 0 })
		expect(lines.at(-1)?.event).toBe('Bot stopped')
	}, 30_000)

	test('the spans of an event that ends during shutdown are flushed before the exit', async () => {
		const receiver = startOtlpReceiver()
		cleanup.push(() => receiver.stop())
		const fake = fakeDiscord()
		const api = slowApi(500)
		// Batches leave every 5 s: a span ended after SIGTERM arrives only through the shutdown flush.
		const bot = await startBot(fake, api.url, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
		expect(bot.lines().find((l) => l.event === 'Bot starting')).toMatchObject({
			tracing: 'on',
			otlp_endpoint: receiver.tracesUrl,
			otlp_protocol: 'http/protobuf',
			service_name: 'byte-bot',
		})
		const guildId = snowflake()

		fake.addGuild({ id: guildId, name: 'Flushed' })
		await bot.waitForLine((l) => l.event === 'Discord event' && l.guild_id === guildId)
		const signalled = BigInt(Date.now()) * 1_000_000n
		expect(await bot.stop('SIGTERM', 10_000)).toBe(0)

		const event = receiver.spans().find((s) => s.name === 'GUILD_CREATE')
		expect(event?.attributes['discord.guild.id']).toBe(guildId)
		const attempt = receiver.spans().find((s) => s.parentSpanId === event?.spanId)
		expect(attempt).toMatchObject({ name: 'POST /api/guilds', attributes: { 'http.response.status_code': 201 } })
		// The API answered 500 ms after the event began: its span ended after the signal.
		expect(event!.endTimeUnixNano).toBeGreaterThan(signalled)
		expect(bot.lines().find((l) => l.event === 'Shutting down')).toMatchObject({ in_flight: 1 })
		expect(bot.lines().at(-1)).toMatchObject({ event: 'Bot stopped', spans_flushed: true })
	}, 30_000)

	test('an event still retrying when the bound expires is abandoned, and the exit is still 0', async () => {
		const fake = fakeDiscord()
		const api = slowApi(undefined)
		const bot = await startBot(fake, api.url)
		const guildId = snowflake()

		fake.addGuild({ id: guildId, name: 'Never lands' })
		await bot.waitForLine((l) => l.event === 'API request will be retried', 5_000, 'a retry')
		const started = performance.now()
		expect(await bot.stop('SIGTERM', 10_000)).toBe(0)

		expect(performance.now() - started).toBeGreaterThanOrEqual(1_400)
		const gaveUp = bot.lines().find((l) => l.event === 'Gave up waiting for in-flight events')
		expect(gaveUp).toMatchObject({ level: 'warning', finished: 0, abandoned: 1 })
	}, 30_000)
})
