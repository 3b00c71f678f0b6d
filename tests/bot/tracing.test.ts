/**
 * The bot's traces (README "Tracing one event"): each Discord event or interaction is one
 * trace, its span the parent of one CLIENT span per API attempt; the API receives the
 * attempt's own `traceparent`; log lines and exemplars carry the IDs. Spans go through the
 * real OTLP exporters to a local receiver that decodes them with the protocol definitions.
 */
import { describe, expect, test } from 'bun:test'
import pkg from '../../package.json'
import { loadBotConfig } from '../../src/bot/config'
import { createLogger } from '../../src/observability/logger'
import { createTracing } from '../../src/observability/tracing'
import type { OtlpProtocol } from '../../src/observability/tracing-config'
import { snowflake, startFakeDiscord } from '../fakes/discord'
import { createTestApp } from '../helpers/app'
import { type DecodedSpan, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver'
import { jsonResponse, startScriptedServer } from '../http-client/scripted-server'
import { MemorySink } from '../logging/helpers'
import { cleanupAfterEach, startInProcessBot } from './harness'

const cleanup = cleanupAfterEach()
const DISCORD_TOKEN = 'discord-token-never-exported'
const API_TOKEN = 'api-token-never-exported'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/

/** The bot's tracing as the entrypoint builds it (its own variables), batches leaving after 5 ms. */
async function botTracing(receiver: OtlpReceiver, protocol: OtlpProtocol) {
	const config = loadBotConfig(
		{ DISCORD_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol },
		false,
	)
	const tracing = await createTracing({
		config: config.tracing,
		serviceVersion: pkg.version,
		logger: createLogger({ format: 'json', name: 'bot.tracing', sink: new MemorySink() }),
		batch: { scheduledDelayMs: 5 },
	})
	cleanup(() => tracing.shutdown(2_000))
	return tracing
}

async function tracedBot(apiUrl: string, protocol: OtlpProtocol = 'http/protobuf', serveMetrics = false) {
	const receiver = startOtlpReceiver()
	cleanup(() => receiver.stop())
	const tracing = await botTracing(receiver, protocol)
	const fake = startFakeDiscord({ token: DISCORD_TOKEN })
	cleanup(() => fake.stop())
	const bot = await startInProcessBot({
		fake,
		apiUrl,
		tracing,
		serveMetrics,
		discordToken: DISCORD_TOKEN,
		headers: { authorization: `Bearer ${API_TOKEN}` },
	})
	cleanup(() => bot.stop())
	await bot.waitForLog((l) => l.event === 'Guilds reconciled')
	/** The spans of the trace whose root is named `name` (about `guildId`), once `count` arrived. */
	async function trace(name: string, guildId: string, count: number): Promise<DecodedSpan[]> {
		for (;;) {
			await tracing.forceFlush(2_000)
			const root = receiver.spans().find((s) => s.name === name && s.attributes['discord.guild.id'] === guildId)
			const spans = root ? receiver.spans().filter((s) => s.traceId === root.traceId) : []
			if (spans.length >= count) return spans
			await receiver.waitForSpans(receiver.spans().length + 1, 5_000)
		}
	}
	return { receiver, tracing, fake, bot, trace }
}

/** A stand-in API: no guilds listed; creates answered by `create(n)` for the n-th POST. */
function scriptedApi(create: (n: number, body: string) => Response) {
	let creates = 0
	const api = startScriptedServer((request, _n, body) => {
		if (request.method === 'GET') return jsonResponse({ items: [], total: 0, limit: 100, offset: 0 })
		return create(++creates, body)
	})
	cleanup(() => api.stop())
	return api
}

const created = (body: string) => jsonResponse({ ...JSON.parse(body), prefix: '!' }, 201)

function noSecrets(receiver: OtlpReceiver) {
	const exported = JSON.stringify(receiver.exports, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
	expect(exported).not.toContain(DISCORD_TOKEN)
	expect(exported).not.toContain(API_TOKEN)
	expect(receiver.rejected).toEqual([])
}

describe('one Discord event, one trace', () => {
	for (const protocol of ['http/protobuf', 'http/json'] as const) {
		test(`GUILD_CREATE with a retry: event span → one CLIENT span per attempt, each sent as traceparent (${protocol})`, async () => {
			const api = scriptedApi((n, body) => (n === 1 ? new Response(null, { status: 503 }) : created(body)))
			const { receiver, bot, fake, trace } = await tracedBot(api.url, protocol)
			const guildId = snowflake()
			fake.addGuild({ id: guildId, name: 'Traced' })
			await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === guildId)

			const spans = await trace('GUILD_CREATE', guildId, 3)
			expect(spans).toHaveLength(3)
			const event = spans.find((s) => s.name === 'GUILD_CREATE')!
			expect(event).toMatchObject({
				kind: 'CONSUMER',
				parentSpanId: undefined,
				status: { code: 'UNSET' },
				attributes: { 'discord.event': 'GUILD_CREATE', 'discord.shard': 0, 'discord.guild.id': guildId },
				scope: { name: 'byte' },
			})
			expect(event.resource).toMatchObject({ 'service.name': 'byte-bot', 'service.version': pkg.version })
			expect(event.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/)

			const attempts = spans
				.filter((s) => s.kind === 'CLIENT')
				.sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))
			expect(attempts.map((s) => [s.name, s.parentSpanId])).toEqual([
				['POST /api/guilds', event.spanId],
				['POST /api/guilds', event.spanId],
			])
			expect(attempts[0]!.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' })
			expect(attempts[0]!.attributes['http.request.resend_count']).toBeUndefined()
			expect(attempts[1]!.attributes).toMatchObject({
				'http.request.method': 'POST',
				'url.full': `${api.url}/api/guilds`,
				'http.response.status_code': 201,
				'http.request.resend_count': 1,
			})
			expect(attempts[1]!.status.code).toBe('UNSET')

			// On the wire: each attempt's own span ID, the event's trace, sampled; the one correlation ID.
			const posts = api.requests.filter((r) => r.method === 'POST')
			expect(posts.map((r) => r.headers.get('traceparent'))).toEqual(
				attempts.map((s) => `00-${event.traceId}-${s.spanId}-01`),
			)
			const line = bot.logs().find((l) => l.event === 'Discord event' && l.guild_id === guildId)!
			expect(new Set(posts.map((r) => r.headers.get('x-correlation-id')))).toEqual(new Set([line.correlation_id!]))

			// Every line of the event carries its trace and span.
			const lines = bot.logs().filter((l) => l.correlation_id === line.correlation_id)
			expect(lines.map((l) => l.event)).toEqual(
				expect.arrayContaining(['Discord event', 'API response', 'Guild registered']),
			)
			for (const l of lines) expect([l.trace_id, l.span_id]).toEqual([event.traceId, event.spanId])
			noSecrets(receiver)
		}, 20_000)
	}

	test('a failed event marks its span failed with the error class; the attempt with the status', async () => {
		const api = scriptedApi(() => jsonResponse({ error: { code: 'BAD', message: 'no' } }, 400))
		const { bot, fake, trace } = await tracedBot(api.url)
		const guildId = snowflake()
		fake.addGuild({ id: guildId, name: 'Refused' })
		await bot.waitForLog((l) => l.event === 'Discord event failed' && l.guild_id === guildId)

		const spans = await trace('GUILD_CREATE', guildId, 2)
		const event = spans.find((s) => s.kind === 'CONSUMER')
		const attempt = spans.find((s) => s.kind === 'CLIENT')
		expect(attempt).toMatchObject({
			kind: 'CLIENT',
			parentSpanId: event!.spanId,
			status: { code: 'ERROR' },
			attributes: { 'http.response.status_code': 400, 'error.type': '400' },
		})
		expect(event).toMatchObject({
			kind: 'CONSUMER',
			status: { code: 'ERROR' },
			attributes: { 'error.type': 'ApiBadResponseError' },
		})
		// Error messages never leave the process (README "What is exported").
		expect(event!.status.message).toBeUndefined()
		expect(event!.events).toEqual([])
	}, 20_000)
})

describe('slash commands', () => {
	test('/config is one trace: the command span and its three API calls; exemplars carry the IDs', async () => {
		const app = await createTestApp()
		cleanup(() => app.close())
		const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.app.handle(request) })
		cleanup(() => server.stop(true))
		const { receiver, bot, fake, trace } = await tracedBot(`http://127.0.0.1:${server.port}`, 'http/json', true)
		const guildId = snowflake()
		fake.addGuild({ id: guildId, name: 'Commands' })
		await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === guildId)

		const interaction = fake.interact({ guildId, commandName: 'config' })
		await bot.waitForLog((l) => l.event === 'Command completed' && l.interaction_id === interaction.id)
		const spans = await trace('/config', guildId, 4)
		const command = spans.find((s) => s.name === '/config')!
		expect(command).toMatchObject({
			kind: 'CONSUMER',
			parentSpanId: undefined,
			attributes: {
				'discord.event': 'INTERACTION_CREATE',
				'discord.command': 'config',
				'discord.shard': 0,
				'discord.guild.id': guildId,
			},
		})
		const calls = spans.filter((s) => s.kind === 'CLIENT')
		expect(calls.map((s) => s.name).sort()).toEqual([
			'GET /api/guilds/:guildId',
			'GET /api/guilds/:guildId/forum',
			'GET /api/guilds/:guildId/github',
		])
		for (const call of calls) {
			expect(call.parentSpanId).toBe(command.spanId)
			expect(call.attributes['http.response.status_code']).toBe(200)
		}

		const metrics = await fetch(`${bot.metricsUrl}/metrics`, {
			headers: { accept: 'application/openmetrics-text; version=1.0.0' },
		}).then((r) => r.text())
		const correlationId = bot.logs().find((l) => l.interaction_id === interaction.id)!.correlation_id
		const exemplar = (metric: string) =>
			[...metrics.matchAll(new RegExp(`^${metric}\\{[^}]*\\} \\d+ # \\{([^}]*)\\}`, 'gm'))].map((m) => m[1])
		expect(exemplar('discord_command_duration_seconds_bucket')).toContain(
			`trace_id="${command.traceId}",span_id="${command.spanId}",correlation_id="${correlationId}"`,
		)
		const apiCall = calls.find((s) => s.name === 'GET /api/guilds/:guildId/forum')!
		expect(exemplar('bot_api_request_duration_seconds_bucket')).toContain(
			`trace_id="${command.traceId}",span_id="${apiCall.spanId}",correlation_id="${correlationId}"`,
		)
		noSecrets(receiver)
	}, 20_000)

	test('an interaction that expired marks its span failed', async () => {
		const api = scriptedApi((_n, body) => created(body))
		const { bot, fake, trace } = await tracedBot(api.url)
		const guildId = snowflake()
		fake.addGuild({ id: guildId, name: 'Late' })
		await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === guildId)
		fake.interact({ guildId, commandName: 'ping', createdAgoMs: 4_000 })
		await bot.waitForLog((l) => l.event === 'Command completed' && l.outcome === 'error')

		const [command] = await trace('/ping', guildId, 1)
		expect(command).toMatchObject({
			status: { code: 'ERROR' },
			attributes: { 'discord.command': 'ping', 'error.type': 'InteractionExpiredError' },
		})
	}, 20_000)
})

test('without an endpoint nothing is exported, yet the API still gets the event’s trace in traceparent', async () => {
	const api = scriptedApi((_n, body) => created(body))
	const fake = startFakeDiscord({ token: 'fake' })
	cleanup(() => fake.stop())
	const bot = await startInProcessBot({ fake, apiUrl: api.url })
	cleanup(() => bot.stop())
	const guildId = snowflake()
	fake.addGuild({ id: guildId, name: 'Untraced' })
	const registered = await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === guildId)

	const post = api.requests.find((r) => r.method === 'POST')!
	const [, traceId, spanId, flags] = TRACEPARENT.exec(post.headers.get('traceparent') ?? '') ?? []
	// Not sampled: a process that does not export does not ask the API to record its trace.
	expect(flags).toBe('00')
	expect(registered.trace_id).toBe(traceId)
	expect(registered.span_id).not.toBe(spanId)
	expect(post.headers.get('x-correlation-id')).toBe(registered.correlation_id!)
}, 20_000)
