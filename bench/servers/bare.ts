/**
 * Bare Elysia serving the same responses as the API, with no observability at all:
 * `/health/live` (with the API's response schema, which Elysia validates), the JSON 404 error body (a fixed ID where the API puts the correlation ID)
 * and `GET /api/guilds/:guildId` through the same repository and mapping, with no schemas.
 *
 * `BENCH_HEADERS=1` adds only what the correlation-ID contract costs at the HTTP layer: read
 * the inbound `X-Correlation-ID`, keep or replace it, and send it back with
 * `Access-Control-Expose-Headers`. No async context, metrics or logs.
 *
 * `BENCH_HOOKS=1` instead adds the request plugin's lifecycle hooks with nothing in them
 * (an asynchronous derive included), to show what Elysia charges for that shape.
 */
import { Elysia } from 'elysia'
import { Health } from '../../src/modules/health/routes'
import { createGuildRepository } from '../../src/modules/guilds/repository'
import { toGuildDto } from '../../src/modules/guilds/service'
import { isValidCorrelationId } from '../../src/observability/correlation'
import { config, FIXED_ID, NOT_FOUND_MESSAGE, seededDatabase } from './common'

const database = process.env.BENCH_DATABASE === '0' ? undefined : await seededDatabase()
const repository = database && createGuildRepository(database.db)

const headersOnly = new Elysia({ name: 'bench.headers-only' })
	.onRequest(function correlationHeaders({ request, set }) {
		const inbound = request.headers.get('x-correlation-id')
		const id = inbound !== null && isValidCorrelationId(inbound) ? inbound : crypto.randomUUID()
		set.headers['x-correlation-id'] = id
		set.headers['access-control-expose-headers'] = 'X-Correlation-ID'
	})
	.as('global')

const emptyHooks = new Elysia({ name: 'bench.empty-hooks' })
	.onRequest(function begin() {})
	.derive({ as: 'global' }, async function context() {
		return {}
	})
	.onBeforeHandle({ as: 'global' }, function enter() {})
	.onAfterResponse({ as: 'global' }, function record() {})

new Elysia()
	.use(process.env.BENCH_HEADERS === '1' ? headersOnly : new Elysia())
	.use(process.env.BENCH_HOOKS === '1' ? emptyHooks : new Elysia())
	.onError(({ code, set }) => {
		if (code !== 'NOT_FOUND') return
		set.status = 404
		return { error: { code: 'NOT_FOUND', message: NOT_FOUND_MESSAGE, correlation_id: FIXED_ID } }
	})
	.get('/health/live', () => ({ status: 'ok' as const }), { response: { 200: Health } })
	.get('/api/guilds/:guildId', async ({ params, set }) => {
		const row = await repository?.find(BigInt(params.guildId))
		if (row) return toGuildDto(row)
		set.status = 404
		return { error: { code: 'NOT_FOUND', message: `Guild ${params.guildId} not found`, correlation_id: FIXED_ID } }
	})
	.listen({ hostname: config.host, port: config.port })
process.on('SIGTERM', () => void (database?.close() ?? Promise.resolve()).finally(() => process.exit(0)))
