/**
 * Database statements as CLIENT spans, on both backends: children of the request's span,
 * `db.query.text` exactly what the driver ran (parameterised), no parameter value anywhere in
 * what is exported, nothing for statements outside a request, nothing at all with export off.
 */
import { describe, expect, test } from 'bun:test'
import type { SpanContext } from '@opentelemetry/api'
import { eq } from 'drizzle-orm'
import type { DatabaseTarget } from '../../src/config'
import { openDatabase } from '../../src/db/client'
import { databaseObservers } from '../../src/db/observe'
import { guilds } from '../../src/db/schema'
import { databaseSpans } from '../../src/db/spans'
import { defineApiMetrics } from '../../src/observability/api-metrics'
import { loggerFor } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'
import { disabledTracing } from '../../src/observability/tracing'
import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { jsonLogger } from '../logging/helpers'
import { exportingTracing, receivers } from '../tracing/helpers'

const serve = receivers()
const postgresReady = await requirePostgres('database spans on PostgreSQL')

const GUILD_ID = 987654321098765432n
const SECRET_NAME = 'Guild name that must not be exported'

const backends: [string, boolean, () => Promise<{ target: DatabaseTarget; drop: () => Promise<void> }>][] = [
	['PGlite', true, async () => ({ target: { kind: 'pglite-memory' }, drop: async () => {} })],
	[
		'PostgreSQL',
		postgresReady,
		async () => {
			const db = await createTestDatabase()
			return { target: { kind: 'postgres', url: db.url }, drop: db.drop }
		},
	],
]

for (const [backend, available, setup] of backends) {
	describe.skipIf(!available)(`database spans on ${backend}`, () => {
		test('each statement of a request is a CLIENT child span with the text the driver ran', async () => {
			const receiver = serve()
			const { tracing } = await exportingTracing(receiver.url, { tracing: { batch: { scheduledDelayMs: 600_000 } } })
			const { target, drop } = await setup()
			const { log, sink } = jsonLogger()
			let current: SpanContext | undefined
			const database = await openDatabase(
				target,
				databaseObservers(
					defineApiMetrics(new Registry()),
					loggerFor(log, 'api.db'),
					databaseSpans(tracing, () => current),
				),
			)
			try {
				await database.migrate() // outside any request: no spans
				const request = tracing.startHttpServerSpan({ method: 'POST', url: 'http://h/api/guilds' })
				current = request.context
				await database.db.insert(guilds).values({ guildId: GUILD_ID, guildName: SECRET_NAME })
				await database.db.select().from(guilds).where(eq(guilds.guildId, GUILD_ID))
				const duplicate = await database.db
					.insert(guilds)
					.values({ guildId: GUILD_ID, guildName: SECRET_NAME })
					.then(
						() => undefined,
						(error: unknown) => error,
					)
				expect(duplicate).toBeDefined()
				current = undefined
				request.end({ status: 201, route: '/api/guilds' })
				await database.db.select().from(guilds) // after the request: no span
			} finally {
				await database.close()
				await drop()
			}
			expect(await tracing.forceFlush(5000)).toBe(true)

			const spans = receiver.spans()
			const statements = spans.filter((s) => s.kind === 'CLIENT')
			expect(statements.map((s) => s.name)).toEqual(['INSERT', 'SELECT', 'INSERT'])
			// The text Drizzle handed the driver, as the debug "Query" lines show it.
			const sent = sink
				.records()
				.filter((r) => r.event === 'Query')
				.map((r) => r.sql)
			for (const span of statements) {
				const request = spans.find((s) => s.kind === 'SERVER')!
				expect(span).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId })
				expect(span.attributes['db.system.name']).toBe('postgresql')
				expect(span.attributes['db.operation.name']).toBe(span.name)
				expect(span.attributes['db.query.text']).toMatch(/\$1/)
				expect(sent).toContain(span.attributes['db.query.text'])
			}
			expect(statements[2]).toMatchObject({
				status: { code: 'ERROR' },
				attributes: { 'error.type': '23505', 'db.response.status_code': '23505' },
			})
			const exported = JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
			expect(exported).not.toContain(SECRET_NAME)
			expect(exported).not.toContain(String(GUILD_ID))
			await tracing.shutdown(2000)
		})
	})
}

test('with export off there is no statement hook at all', () => {
	expect(databaseSpans(disabledTracing, () => undefined)).toBeUndefined()
})
