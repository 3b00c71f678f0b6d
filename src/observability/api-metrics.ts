/**
 * Every metric the API exposes, declared once with its labels (names from the seed).
 * Label values are bounded by construction: route templates, a fixed value for
 * unmatched routes and unknown methods, and fixed operation/status sets.
 */
import type { DatabaseErrorKind } from '../errors'
import type { Registry } from './metrics'

/** Latency buckets from 5 ms to 10 s. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
export const DB_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
export const DB_OPERATIONS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'OTHER'] as const
export const DB_ERROR_KINDS = [
	'unavailable',
	'timeout',
	'constraint',
	'other',
] as const satisfies readonly DatabaseErrorKind[]
export const GUILD_OPERATIONS = ['create', 'update', 'delete', 'fetch'] as const
export const OPERATION_STATUSES = ['success', 'error'] as const

export function defineApiMetrics(registry: Registry) {
	const metrics = {
		httpRequests: registry.counter({
			name: 'http_requests_total',
			help: 'HTTP requests completed, by method, route template and final status.',
			labelNames: ['method', 'endpoint', 'status'] as const,
		}),
		httpDuration: registry.histogram({
			name: 'http_request_duration_seconds',
			help: 'HTTP request latency from arrival to response, by method and route template.',
			labelNames: ['method', 'endpoint'] as const,
			buckets: HTTP_DURATION_BUCKETS,
		}),
		httpInFlight: registry.gauge({
			name: 'http_requests_in_flight',
			help: 'HTTP requests being handled right now.',
		}),
		dbQueries: registry.counter({
			name: 'db_queries_total',
			help: 'Database statements issued through Drizzle, by operation.',
			labelNames: ['operation'] as const,
		}),
		dbQueryDuration: registry.histogram({
			name: 'db_query_duration_seconds',
			help: 'Database statement latency measured at the driver, by operation.',
			labelNames: ['operation'] as const,
			buckets: DB_DURATION_BUCKETS,
		}),
		dbErrors: registry.counter({
			name: 'db_errors_total',
			help: 'Database statements that failed at the driver, by operation and kind (unavailable, timeout, constraint, other).',
			labelNames: ['operation', 'kind'] as const,
		}),
		guildOperations: registry.counter({
			name: 'guild_operations_total',
			help: 'Guild operations by kind and outcome (missing guilds, duplicates and outages are errors).',
			labelNames: ['operation', 'status'] as const,
		}),
	}
	// Known label sets start at zero so rate() and alerts see them before the first event.
	for (const op of DB_OPERATIONS) {
		metrics.dbQueries.labels(op)
		metrics.dbQueryDuration.labels(op)
		for (const kind of DB_ERROR_KINDS) metrics.dbErrors.labels(op, kind)
	}
	for (const op of GUILD_OPERATIONS) for (const status of OPERATION_STATUSES) metrics.guildOperations.labels(op, status)
	return metrics
}

export type ApiMetrics = ReturnType<typeof defineApiMetrics>
