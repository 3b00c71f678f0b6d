/**
 * Database statements as spans (README "Tracing (W3C Trace Context, OpenTelemetry)"): a driver
 * observer that records each finished statement as a CLIENT span, child of the span of the
 * request being handled.
 */
import type { SpanContext } from '@opentelemetry/api'
import type { Tracing } from '../observability/tracing'
import { type DriverObserver, queryOperation } from './instrument'

/**
 * The observer to pass to `databaseObservers(…, statementSpans)`. `currentSpan` returns the
 * span context of the request being handled, or undefined outside any (migrations, start-up
 * probes), which then make no span. The span's `db.query.text` is the statement exactly as the
 * driver received it: parameterised (`$1`…), never with its values.
 *
 * Undefined when tracing does not export, so the driver's path gains nothing.
 */
export function databaseSpans(
	tracing: Tracing,
	currentSpan: () => SpanContext | undefined,
): DriverObserver | undefined {
	if (!tracing.exporting) return undefined
	return (sql, seconds, error) => {
		const parent = currentSpan()
		if (parent !== undefined)
			tracing.recordDatabaseStatement(parent, { sql, operation: queryOperation(sql), seconds, error })
	}
}
