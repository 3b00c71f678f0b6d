/**
 * The real API, built like src/index.ts (JSON logs on stdout, process metrics, database
 * observers, tracing from the standard `OTEL_*` variables). `LOG_LEVEL=warning` leaves the
 * access line out, as it would in production.
 * `BENCH_FILL_SERIES=N` first records N label sets into the HTTP counter and histogram
 * (as bench/metrics-store.ts does), to time GET /metrics at that size.
 * `SIGUSR2` runs a full garbage collection (the memory section reads RSS after one).
 */
import { createApp, VERSION } from '../../src/app'
import { databaseObservers } from '../../src/db/observe'
import { databaseSpans } from '../../src/db/spans'
import { currentContext } from '../../src/observability/context'
import { defineApiMetrics } from '../../src/observability/api-metrics'
import { createLogger, loggerFor } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'
import { registerProcessMetrics } from '../../src/observability/process-metrics'
import { createTracing } from '../../src/observability/tracing'
import { config, seededDatabase } from './common'

const root = createLogger({ format: config.logFormat, level: config.logLevel })
const registry = new Registry({ maxSeriesPerMetric: config.metricsMaxSeries })
registerProcessMetrics(registry, { version: VERSION })
const metrics = defineApiMetrics(registry)
const tracing = await createTracing({
	config: config.tracing,
	serviceVersion: VERSION,
	logger: loggerFor(root, 'api.tracing'),
})
const database = await seededDatabase(
	databaseObservers(
		metrics,
		loggerFor(root, 'api.db'),
		databaseSpans(tracing, () => currentContext()?.span),
	),
)
const fill = Number(process.env.BENCH_FILL_SERIES ?? 0)
const methods = ['GET', 'POST', 'PATCH', 'DELETE'] as const
const statuses = ['200', '201', '404', '500'] as const
for (let k = 0; k < fill; k++) {
	const method = methods[k % methods.length] as string
	const endpoint = `/api/route/${k}`
	for (let n = 0; n <= k % 3; n++) {
		metrics.httpRequests.labels(method, endpoint, statuses[(k >> 2) % statuses.length] as string).inc()
		metrics.httpDuration.labels(method, endpoint).observe((k % 97) / 1000)
	}
}
process.on('SIGUSR2', () => Bun.gc(true))

const app = createApp({
	database,
	logger: root,
	registry,
	metrics,
	bodyLimitBytes: config.bodyLimitBytes,
	tracing,
})
app.listen({ hostname: config.host, port: config.port, maxRequestBodySize: config.bodyLimitBytes * 4 })
process.on('SIGTERM', () => void Promise.all([tracing.shutdown(1000), database.close()]).finally(() => process.exit(0)))
