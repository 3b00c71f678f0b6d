/**
 * API entrypoint (`bun run start`, `bun run dev`): parse configuration, open and migrate
 * the database (retrying with backoff while it is down), serve, and shut down gracefully
 * on SIGTERM/SIGINT.
 */
import type { LogLayer } from 'loglayer'
import { createApp, VERSION } from './app'
import { ConfigError, describeDatabase, loadApiConfig } from './config'
import { type Database, openDatabase } from './db/client'
import { databaseObservers } from './db/observe'
import { defineApiMetrics } from './observability/api-metrics'
import { createLogger, flushLogs, loggerFor } from './observability/logger'
import { Registry } from './observability/metrics'
import { registerProcessMetrics } from './observability/process-metrics'

let config: ReturnType<typeof loadApiConfig>
try {
	config = loadApiConfig()
} catch (error) {
	if (!(error instanceof ConfigError)) throw error
	process.stdout.write(`${error.message}\n`)
	process.exit(1)
}

const root = createLogger({ format: config.logFormat, level: config.logLevel })
const log = loggerFor(root, 'api.main')
const registry = new Registry({ maxSeriesPerMetric: config.metricsMaxSeries })
registerProcessMetrics(registry, { version: VERSION })
const metrics = defineApiMetrics(registry)

async function openWithRetry(logger: LogLayer): Promise<Database> {
	const database = await openDatabase(config.database, databaseObservers(metrics, loggerFor(root, 'api.db')))
	for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 15_000)) {
		try {
			await database.migrate()
			return database
		} catch (error) {
			logger
				.withError(error as Error)
				.withMetadata({ attempt, retry_in_ms: delay, database: database.description })
				.warn('Database not ready; retrying migrations')
			await Bun.sleep(delay)
		}
	}
}

const database = await openWithRetry(log)
let shuttingDown = false
const app = createApp({
	database,
	logger: root,
	registry,
	metrics,
	metricsToken: config.metricsToken,
	bodyLimitBytes: config.bodyLimitBytes,
	isShuttingDown: () => shuttingDown,
})
app.listen({ hostname: config.host, port: config.port, maxRequestBodySize: config.bodyLimitBytes * 4 })
const server = app.server!
log
	.withMetadata({
		url: `http://${config.host}:${server.port}`,
		database: describeDatabase(config.database),
		log_level: config.logLevel,
		version: VERSION,
		metrics_protected: Boolean(config.metricsToken),
	})
	.info('API listening')

async function shutdown(signal: string) {
	if (shuttingDown) return
	shuttingDown = true
	const inFlight = server.pendingRequests
	log.withMetadata({ signal, in_flight: inFlight, timeout_ms: config.shutdownTimeoutMs }).info('Shutting down')
	let timer: Timer | undefined
	const timedOut = await Promise.race([
		server.stop().then(() => false),
		new Promise<boolean>((resolve) => {
			timer = setTimeout(() => resolve(true), config.shutdownTimeoutMs)
		}),
	])
	clearTimeout(timer)
	if (timedOut) {
		log.withMetadata({ abandoned: server.pendingRequests }).warn('Shutdown timeout reached; closing remaining connections')
		await server.stop(true)
	}
	await database.close().catch((error: Error) => log.withError(error).warn('Database close failed'))
	log.withMetadata({ drained: inFlight, timed_out: timedOut }).info('Shutdown complete')
	await flushLogs(root)
	process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
