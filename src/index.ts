/**
 * API entrypoint (`bun run start`, `bun run dev`): parse configuration, open and migrate
 * the database (retrying with backoff while it is down), serve, and shut down gracefully
 * on SIGTERM/SIGINT.
 */
import type { Server } from 'bun'
import type { LogLayer } from 'loglayer'
import { createApp, VERSION } from './app'
import { ConfigError, describeDatabase, isLoopbackHost, loadApiConfig } from './config'
import { type Database, openDatabase } from './db/client'
import { DirectoryLockedError } from './db/dir-lock'
import { databaseObservers } from './db/observe'
import { databaseSpans } from './db/spans'
import { defineApiMetrics } from './observability/api-metrics'
import { createLogger, flushLogs, loggerFor } from './observability/logger'
import { Registry } from './observability/metrics'
import { currentContext } from './observability/context'
import { registerProcessMetrics } from './observability/process-metrics'
import { createTracing } from './observability/tracing'
import { tracingSummary } from './observability/tracing-config'

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
// Loads the OpenTelemetry SDK only when OTEL_EXPORTER_OTLP_*ENDPOINT says where spans go.
const tracing = await createTracing({
	config: config.tracing,
	serviceVersion: VERSION,
	logger: loggerFor(root, 'api.tracing'),
})

let shuttingDown = false
let database: Database | undefined
let server: Server<unknown> | undefined

/** Start-up refused (directory or port held by another process): one line, exit 1. */
async function refuseToStart(message: string, fields: Record<string, unknown>): Promise<never> {
	log.withMetadata(fields).fatal(message)
	await database?.close(0).catch(() => {})
	await flushLogs(root)
	process.exit(1)
}

async function openWithRetry(logger: LogLayer): Promise<Database> {
	try {
		database = await openDatabase(config.database, {
			...databaseObservers(
				metrics,
				loggerFor(root, 'api.db'),
				databaseSpans(tracing, () => currentContext()?.span),
			),
			connectTimeoutMs: config.databaseConnectTimeoutMs,
			statementTimeoutMs: config.databaseStatementTimeoutMs,
		})
	} catch (error) {
		if (!(error instanceof DirectoryLockedError)) throw error
		return refuseToStart(error.message, { variable: 'DATABASE_URL', path: error.path, holder_pid: error.holderPid })
	}
	for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 15_000)) {
		try {
			await database.migrate()
			return database
		} catch (error) {
			// Shutting down before start-up finished: shutdown() closes the pool and exits.
			if (shuttingDown) return new Promise<never>(() => {})
			logger
				.withError(error as Error)
				.withMetadata({ attempt, retry_in_ms: delay, database: database.description })
				.warn('Database not ready; retrying migrations')
			await Bun.sleep(delay)
		}
	}
}

// Registered before the database is opened, so a SIGTERM during start-up retries is orderly too.
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

const ready = await openWithRetry(log)
const app = createApp({
	database: ready,
	logger: root,
	registry,
	metrics,
	metricsToken: config.metricsToken,
	apiTokens: config.apiTokens,
	bodyLimitBytes: config.bodyLimitBytes,
	corsOrigins: config.corsOrigins,
	isShuttingDown: () => shuttingDown,
	databaseTimeoutMs: config.databaseOperationTimeoutMs,
	tracing,
})
try {
	// Elysia asks Bun for SO_REUSEPORT by default, which lets a second process listen on the
	// same port and take half the connections; one owner per port instead (README "Reliability
	// and security"), so a second process fails here.
	app.listen({
		hostname: config.host,
		port: config.port,
		reusePort: false,
		maxRequestBodySize: config.bodyLimitBytes * 4,
	})
} catch (error) {
	if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error
	const address = `${config.host}:${config.port}`
	await refuseToStart(
		`PORT: ${address} is already in use by another process; stop it, or choose another PORT or HOST`,
		{
			variable: 'PORT',
			address,
		},
	)
}
server = app.server!
if (config.apiTokens.length === 0 && !isLoopbackHost(config.host))
	log
		.withMetadata({ host: config.host })
		.warn(
			'API_TOKEN is not set and HOST is not a loopback address: anyone who can reach this port can change guild settings',
		)
log
	.withMetadata({
		url: `http://${config.host}:${server.port}`,
		database: describeDatabase(config.database),
		log_level: config.logLevel,
		version: VERSION,
		metrics_protected: Boolean(config.metricsToken),
		api_protected: config.apiTokens.length > 0,
		body_limit_bytes: config.bodyLimitBytes,
		cors_origins: config.corsOrigins,
		shutdown_timeout_ms: config.shutdownTimeoutMs,
		database_timeouts_ms: {
			connect: config.databaseConnectTimeoutMs,
			statement: config.databaseStatementTimeoutMs,
			operation: config.databaseOperationTimeoutMs,
		},
		...tracingSummary(config.tracing),
	})
	.info('API listening')

/** Resolves true when `work` has not settled within `ms`. */
async function outlasts(work: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: Timer | undefined
	const expired = new Promise<boolean>((resolve) => {
		timer = setTimeout(() => resolve(true), ms)
	})
	try {
		return await Promise.race([work.then(() => false), expired])
	} finally {
		clearTimeout(timer)
	}
}

/**
 * Graceful shutdown within SHUTDOWN_TIMEOUT_MS: stop accepting, let in-flight requests
 * finish, then close the database pool and exit 0. Bun's `server.stop()` (checked on
 * 1.4.5) closes the listening socket at once, so new connections are refused, and
 * resolves once every in-flight request has been answered; `stop(true)` cuts the rest.
 */
async function shutdown(signal: string) {
	if (shuttingDown) return
	shuttingDown = true
	const deadline = performance.now() + config.shutdownTimeoutMs
	// A stuck flush or close must not keep the process alive past the bound.
	setTimeout(() => process.exit(0), config.shutdownTimeoutMs + 2000).unref()
	const inFlight = server?.pendingRequests ?? 0
	log.withMetadata({ signal, in_flight: inFlight, timeout_ms: config.shutdownTimeoutMs }).info('Shutting down')
	let abandoned = 0
	const timedOut = server ? await outlasts(server.stop(), config.shutdownTimeoutMs) : false
	if (server && timedOut) {
		abandoned = server.pendingRequests
		log.withMetadata({ abandoned }).warn('Shutdown timeout reached; closing remaining connections')
		await server.stop(true)
	}
	// Drained requests have finished their queries, so closing is quick: idle sessions get a
	// Terminate at once. The wait only matters for a connection postgres.js is still trying to
	// open after a failure (its end() then never settles), so it is short and within the bound.
	// Before start-up finished there is nothing to wait for (only migration retries).
	const closeBudget = server ? Math.min(1000, Math.max(0, deadline - performance.now())) : 0
	let databaseClosed = true
	await database?.close(closeBudget).catch((error: Error) => {
		databaseClosed = false
		log.withError(error).warn('Database close failed')
	})
	// The requests' spans, what is left of the budget (at least a moment to try).
	const { flushed } = await tracing.shutdown(Math.max(250, deadline - performance.now()))
	log
		.withMetadata({
			signal,
			drained: Math.max(0, inFlight - abandoned),
			abandoned,
			timed_out: timedOut,
			database_closed: databaseClosed,
			spans_flushed: flushed,
		})
		.info('Shutdown complete')
	await flushLogs(root)
	process.exit(0)
}
