/**
 * One Discord event, one trace, with real processes (README "One Discord event, one trace"):
 * the fake Discord, the API (`bun src/index.ts` on a throw-away PostgreSQL database) and the
 * bot (`bun src/bot/index.ts`), both exporting to one local OTLP receiver, the bot in
 * http/protobuf and the API in http/json. A guild added on the fake gateway must arrive as a
 * single trace: the bot's event span → its API-call CLIENT span → the API's SERVER span → the
 * database CLIENT spans, each the child of the one before, with nothing secret in it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import pkg from '../../package.json'
import { type RunningProcess, spawnLogged } from '../bot/processes'
import { type FakeDiscord, snowflake, startFakeDiscord } from '../fakes/discord'
import { type DecodedSpan, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver'
import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { type ApiProcess, startApi } from '../helpers/process'

const DISCORD_TOKEN = 'e2e-discord-token-never-exported'
const API_TOKEN = 'e2e-api-token-never-exported'
const GUILD = { id: snowflake(), name: 'Traced end to end' }

const postgresReady = await requirePostgres('one trace across bot, API and database')

let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined
let receiver: OtlpReceiver
let fake: FakeDiscord
let api: ApiProcess | undefined
let bot: RunningProcess | undefined
/** The spans of the guild's trace, after both processes flushed them at SIGTERM. */
let spans: DecodedSpan[] = []
let traceId = ''
let apiLines: Record<string, any>[] = []

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v))

describe.skipIf(!postgresReady)('one Discord event, one trace: bot → API → PostgreSQL', () => {
	beforeAll(async () => {
		database = await createTestDatabase()
		receiver = startOtlpReceiver()
		fake = startFakeDiscord({ token: DISCORD_TOKEN })
		api = await startApi({
			DATABASE_URL: database.url,
			API_TOKEN,
			LOG_LEVEL: 'info',
			OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
			OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
		})
		bot = spawnLogged(['bun', 'src/bot/index.ts'], {
			DISCORD_TOKEN,
			DISCORD_API_URL: fake.apiUrl,
			API_URL: api.url,
			API_TOKEN,
			LOG_FORMAT: 'json',
			OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
			OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
		})
		await bot.waitForLine((l) => l.event === 'Guilds reconciled', 20_000, 'the first reconcile')

		fake.addGuild(GUILD)
		const registered = await bot.waitForLine(
			(l) => l.event === 'Guild registered' && l.guild_id === GUILD.id,
			10_000,
			'the guild registered',
		)
		traceId = registered.trace_id
		// Both flush what they hold on SIGTERM (README "Batching, failures and shutdown").
		expect(await bot.stop('SIGTERM', 15_000)).toBe(0)
		expect(await api.stop('SIGTERM')).toBe(0)
		apiLines = api.logs()
		spans = receiver.spans().filter((s) => s.traceId === traceId)
	}, 60_000)

	afterAll(async () => {
		await bot?.stop()
		await api?.stop()
		await fake?.stop()
		await receiver?.stop()
		await database?.drop()
	}, 20_000)

	test('the trace holds the event span, one API call, its request and its statements, each the parent of the next', () => {
		expect(traceId).toMatch(/^[0-9a-f]{32}$/)
		const event = spans.find((s) => s.parentSpanId === undefined)
		expect(event).toMatchObject({
			name: 'GUILD_CREATE',
			kind: 'CONSUMER',
			attributes: { 'discord.event': 'GUILD_CREATE', 'discord.shard': 0, 'discord.guild.id': GUILD.id },
		})
		const call = spans.filter((s) => s.parentSpanId === event?.spanId)
		expect(call).toHaveLength(1)
		expect(call[0]).toMatchObject({
			name: 'POST /api/guilds',
			kind: 'CLIENT',
			attributes: {
				'http.request.method': 'POST',
				'url.full': `${api!.url}/api/guilds`,
				'http.response.status_code': 201,
			},
		})
		const server = spans.filter((s) => s.parentSpanId === call[0]?.spanId)
		expect(server).toHaveLength(1)
		expect(server[0]).toMatchObject({
			name: 'POST /api/guilds',
			kind: 'SERVER',
			attributes: {
				'http.request.method': 'POST',
				'http.route': '/api/guilds',
				'url.path': '/api/guilds',
				'http.response.status_code': 201,
			},
		})
		const statements = spans.filter((s) => s.parentSpanId === server[0]?.spanId)
		expect(statements.length).toBeGreaterThan(0)
		for (const statement of statements) {
			expect(statement.kind).toBe('CLIENT')
			expect(statement.attributes['db.system.name']).toBe('postgresql')
		}
		const insert = statements.find((s) => s.attributes['db.operation.name'] === 'INSERT')
		expect(insert?.name).toBe('INSERT')
		expect(insert?.attributes['db.query.text']).toMatch(/^insert into "guild" .*\$1/)
		// Nothing else: every span of the trace is one of these.
		expect(spans).toHaveLength(3 + statements.length)
	})

	test('each process names itself: service.name, service.version, service.instance.id; each its own protocol', () => {
		const byService = Object.groupBy(spans, (s) => String(s.resource['service.name']))
		expect(Object.keys(byService).sort()).toEqual(['byte-api', 'byte-bot'])
		expect(byService['byte-bot']!.map((s) => s.kind).sort()).toEqual(['CLIENT', 'CONSUMER'])
		expect(byService['byte-api']!.some((s) => s.kind === 'SERVER')).toBe(true)
		const instances = new Set<string>()
		for (const [service, own] of Object.entries(byService)) {
			for (const span of own!) {
				expect({ service, version: span.resource['service.version'] }).toEqual({ service, version: pkg.version })
				instances.add(String(span.resource['service.instance.id']))
			}
		}
		expect([...instances].every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true)
		expect(instances.size).toBe(2)
		const protocols = new Map<string, Set<string>>()
		for (const received of receiver.exports) {
			for (const span of received.spans) {
				const service = String(span.resource['service.name'])
				protocols.set(service, (protocols.get(service) ?? new Set()).add(received.protocol))
			}
		}
		expect(Object.fromEntries([...protocols].map(([service, set]) => [service, [...set]]))).toEqual({
			'byte-bot': ['http/protobuf'],
			'byte-api': ['http/json'],
		})
		expect(receiver.rejected).toEqual([])
	})

	test('the API logged the request under the same trace, as the SERVER span, with the bot’s correlation ID', () => {
		const server = spans.find((s) => s.kind === 'SERVER')!
		const completed = apiLines.find((l) => l.event === 'Request completed' && l.trace_id === traceId)
		expect(completed).toMatchObject({ method: 'POST', endpoint: '/api/guilds', status: 201, span_id: server.spanId })
		const event = bot!.lines().find((l) => l.event === 'Discord event' && l.guild_id === GUILD.id)
		expect(event).toMatchObject({ trace_id: traceId })
		expect(completed?.correlation_id).toBe(event?.correlation_id)
	})

	test('no secrets and no parameter values anywhere in what was exported', () => {
		const exported = json(receiver.exports.map((e) => ({ headers: [...e.headers], spans: e.spans })))
		for (const secret of [DISCORD_TOKEN, API_TOKEN, database!.url])
			expect({ secret, found: exported.includes(secret) }).toEqual({ secret, found: false })
		// The guild's ID is on the event span as `discord.guild.id`; the statements carry no values.
		for (const statement of spans.filter((s) => s.attributes['db.system.name'] !== undefined)) {
			const text = json(statement)
			expect(text).not.toContain(GUILD.id)
			expect(text).not.toContain(GUILD.name)
		}
	})
})
