/** Connects the database hooks to metrics and debug-level query logs. */
import type { LogLayer } from 'loglayer'
import { databaseErrorKind } from '../errors'
import type { ApiMetrics } from '../observability/api-metrics'
import type { DatabaseOptions } from './client'
import { type DriverObserver, queryOperation } from './instrument'

const MAX_LOGGED_SQL = 2000

/**
 * Drizzle's logger counts `db_queries_total` and writes a debug line with the SQL text
 * (never the parameter values); the driver hook times every statement and counts its failures by kind, so
 * db_errors_total and db_query_duration_seconds_count come from the same place.
 * `statementSpans` (from `databaseSpans` in ./spans.ts) also sees every finished statement.
 */
export function databaseObservers(
	metrics: ApiMetrics,
	logger: LogLayer,
	statementSpans?: DriverObserver,
): Pick<DatabaseOptions, 'logQuery' | 'observeDriver'> {
	return {
		logQuery(query) {
			const operation = queryOperation(query)
			metrics.dbQueries.labels(operation).inc()
			if (logger.isLevelEnabled('debug'))
				logger.withMetadata({ operation, sql: query.slice(0, MAX_LOGGED_SQL) }).debug('Query')
		},
		observeDriver(query, seconds, error) {
			statementSpans?.(query, seconds, error)
			const operation = queryOperation(query)
			metrics.dbQueryDuration.labels(operation).observe(seconds)
			if (error) {
				const kind = databaseErrorKind(error)
				metrics.dbErrors.labels(operation, kind).inc()
				if (logger.isLevelEnabled('debug'))
					logger
						.withError(error as Error)
						.withMetadata({ operation, kind, duration_ms: seconds * 1000 })
						.debug('Query failed')
			}
		},
	}
}
