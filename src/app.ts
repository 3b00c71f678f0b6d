/**
 * createApp(deps) builds the whole API from injected parts: database, logger, metrics
 * registry and clock. Nothing is global, so tests build their own app with fresh parts.
 */
import { type AnyElysia, Elysia } from 'elysia'
import type { LogLayer } from 'loglayer'
import type { Database } from './db/client'
import { docsRoutes } from './modules/docs/routes'
import { createGuildRepository } from './modules/guilds/repository'
import { guildRoutes } from './modules/guilds/routes'
import { createGuildService } from './modules/guilds/service'
import { healthRoutes } from './modules/health/routes'
import { type ApiMetrics, defineApiMetrics } from './observability/api-metrics'
import { loggerFor } from './observability/logger'
import type { Registry } from './observability/metrics'
import type { Tracing } from './observability/tracing'
import { apiAuth } from './server/api-auth'
import { cors, corsPolicy } from './server/cors'
import { metricsRoute } from './server/metrics-route'
import { requestObservability } from './server/request-observability'
import { routeTable } from './server/route-table'
import pkg from '../package.json'

export const VERSION: string = pkg.version

export interface AppDeps {
	database: Database
	/** Root logger; modules take named children (`api.http`, `api.guilds.service`, …). */
	logger: LogLayer
	registry: Registry
	/** The registry's API metrics, when already defined (e.g. to hook the database first). */
	metrics?: ApiMetrics
	/** Monotonic milliseconds for request timing (default `performance.now`). */
	clock?: () => number
	/** When set, /metrics requires `Authorization: Bearer <token>`. */
	metricsToken?: string
	/** When non-empty, every /api/* request requires `Authorization: Bearer <one of them>` (API_TOKEN). */
	apiTokens?: readonly string[]
	/** Largest accepted request body (default 1 MiB). */
	bodyLimitBytes?: number
	/** Origins granted CORS (default none: no CORS headers at all). */
	corsOrigins?: readonly string[]
	isShuttingDown?: () => boolean
	/** Deadline for one guild operation's database work (default: none). */
	databaseTimeoutMs?: number
	/** Spans of requests (default: none exported; requests still get trace and span IDs). */
	tracing?: Tracing
}

export function createApp(deps: AppDeps) {
	const metrics = deps.metrics ?? defineApiMetrics(deps.registry)
	const service = createGuildService({
		repository: createGuildRepository(deps.database.db),
		logger: loggerFor(deps.logger, 'api.guilds.service'),
		recordOperation: (operation, status) => metrics.guildOperations.labels(operation, status).inc(),
		timeoutMs: deps.databaseTimeoutMs,
	})

	const policy = deps.corsOrigins?.length ? corsPolicy(deps.corsOrigins) : undefined
	const apiTokens = deps.apiTokens ?? []
	// The route table and the docs read the finished app's routes: the table when a request
	// finds no route, the docs when the document is first asked for.
	let whole: AnyElysia | undefined
	const routes = routeTable(() => whole?.routes ?? [])

	// normalize: false makes unknown body fields a 422 naming the field, instead of being
	// silently dropped, so a typo such as `guildname` never looks like success.
	const app = new Elysia({ name: 'byte.api', normalize: false })
		.use(
			requestObservability({
				metrics,
				logger: loggerFor(deps.logger, 'api.http'),
				clock: deps.clock,
				routes,
				cors: policy,
				tracing: deps.tracing,
			}),
		)
		.use(policy ? cors(policy) : new Elysia({ name: 'byte.cors-off' }))
		.use(apiAuth({ tokens: apiTokens }))
		.use(
			docsRoutes({
				version: VERSION,
				app: () => whole as AnyElysia,
				protectedPrefix: apiTokens.length > 0 ? '/api' : undefined,
			}),
		)
		.use(healthRoutes({ database: deps.database, isShuttingDown: deps.isShuttingDown }))
		.use(metricsRoute(deps.registry, deps.metricsToken))
		.use(guildRoutes(service, { body: { limitBytes: deps.bodyLimitBytes } }))
	whole = app
	return app
}

/** The server's type, for clients typed against its routes (e.g. Eden treaty). */
export type App = ReturnType<typeof createApp>
