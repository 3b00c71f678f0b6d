/** Liveness, readiness and database health (README "HTTP API"). */
import { Elysia, t } from 'elysia'
import type { Database } from '../../db/client'
import { RETRY_AFTER_SECONDS } from '../../server/errors'

/** The body of every health route (also what bench/servers/bare.ts validates against). */
export const Health = t.Object({
	status: t.Union([t.Literal('ok'), t.Literal('unavailable')]),
	database: t.Optional(t.Union([t.Literal('ok'), t.Literal('unavailable')])),
	reason: t.Optional(t.String()),
})

export interface HealthOptions {
	database: Database
	/** True once shutdown has begun: readiness fails so load balancers stop sending traffic. */
	isShuttingDown?: () => boolean
	/** Bound on the `SELECT 1` probe (default 1000 ms). */
	pingTimeoutMs?: number
}

export function healthRoutes({ database, isShuttingDown = () => false, pingTimeoutMs = 1000 }: HealthOptions) {
	const unavailable = (set: { status?: number | string; headers: Record<string, unknown> }) => {
		set.status = 503
		set.headers['retry-after'] = String(RETRY_AFTER_SECONDS)
	}
	const check = async (set: { status?: number | string; headers: Record<string, unknown> }) => {
		const ok = await database.ping(pingTimeoutMs)
		if (!ok) unavailable(set)
		return ok
			? ({ status: 'ok', database: 'ok' } as const)
			: ({ status: 'unavailable', database: 'unavailable' } as const)
	}
	const responses = { 200: Health, 503: Health }
	return new Elysia({ name: 'byte.health', detail: { tags: ['Health'] } })
		.get('/health', ({ set }) => check(set), {
			response: responses,
			detail: {
				summary: 'Process and database health',
				description: '503 when the database does not answer within 1 s.',
			},
		})
		.get('/health/live', () => ({ status: 'ok' as const }), {
			response: { 200: Health },
			detail: { summary: 'Liveness: the process is serving (no dependencies checked)' },
		})
		.get(
			'/health/ready',
			({ set }) => {
				if (isShuttingDown()) {
					unavailable(set)
					return { status: 'unavailable' as const, reason: 'shutting down' }
				}
				return check(set)
			},
			{
				response: responses,
				detail: { summary: 'Readiness: the database answers and the process is not shutting down' },
			},
		)
}
