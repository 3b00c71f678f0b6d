/**
 * Builds a fresh API for a test file: its own database (in-memory PGlite unless a
 * PostgreSQL URL is given), logger writing JSON lines into memory, metrics registry.
 */
import { afterAll, beforeAll } from 'bun:test'
import { type AppDeps, createApp } from '../../src/app'
import type { DatabaseTarget } from '../../src/config'
import { type Database, openDatabase } from '../../src/db/client'
import { databaseObservers } from '../../src/db/observe'
import { databaseSpans } from '../../src/db/spans'
import { currentContext } from '../../src/observability/context'
import { defineApiMetrics } from '../../src/observability/api-metrics'
import { createLogger, loggerFor } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'

export type LogLine = Record<string, unknown> & {
	timestamp: string
	level: string
	logger: string
	event: string
	correlation_id?: string
}

export interface TestAppOptions extends Partial<Omit<AppDeps, 'database' | 'logger' | 'registry'>> {
	target?: DatabaseTarget
	level?: 'debug' | 'info' | 'warning' | 'error' | 'critical'
	/** Series cap per metric for the test's registry (the registry's default otherwise). */
	maxSeriesPerMetric?: number
}

/**
 * Resolves once the requests answered so far are recorded: the request plugin counts and
 * logs each one in Elysia's `onAfterResponse`, which runs on the next event-loop turn.
 */
export function recorded(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve))
}

export async function createTestApp(options: TestAppOptions = {}) {
	const chunks: string[] = []
	const logger = createLogger({
		format: 'json',
		level: options.level ?? 'debug',
		sink: { write: (chunk: string) => void chunks.push(chunk), flush: () => {} },
	})
	const registry = new Registry({ maxSeriesPerMetric: options.maxSeriesPerMetric })
	const metrics = defineApiMetrics(registry)
	const spans = options.tracing ? databaseSpans(options.tracing, () => currentContext()?.span) : undefined
	const database: Database = await openDatabase(
		options.target ?? { kind: 'pglite-memory' },
		databaseObservers(metrics, loggerFor(logger, 'api.db'), spans),
	)
	await database.migrate()
	const app = createApp({ ...options, database, logger, registry, metrics })

	const logs = (): LogLine[] =>
		chunks
			.join('')
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as LogLine)

	async function request(
		method: string,
		path: string,
		init: { body?: unknown; headers?: Record<string, string> } = {},
	) {
		const headers = new Headers(init.headers)
		let body: string | undefined
		if (init.body !== undefined) {
			body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
			if (!headers.has('content-type')) headers.set('content-type', 'application/json')
			// What an HTTP client sends; the body limit is checked against it before reading.
			headers.set('content-length', String(Buffer.byteLength(body)))
		}
		const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }))
		const text = await response.text()
		await recorded()
		let json: any
		try {
			json = text ? JSON.parse(text) : undefined
		} catch {
			json = undefined
		}
		return { status: response.status, headers: response.headers, text, json }
	}

	/** Value of one sample in the text exposition (`name{labels}`), 0 when absent. */
	function sample(series: string): number {
		const text = registry.render('text')
		for (const line of text.split('\n')) {
			if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
		}
		return 0
	}

	return {
		app,
		database,
		registry,
		metrics,
		logger,
		logs,
		clearLogs: () => void chunks.splice(0),
		request,
		sample,
		close: () => database.close(),
	}
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>

/** A backend for a suite that runs once per backend (PGlite, PostgreSQL). */
export interface Backend {
	name: string
	/**
	 * Whether the backend is there. False reports the suite as skipped (a laptop without
	 * PostgreSQL); under CI=true the check that decides this throws instead.
	 */
	available: boolean
	open(): Promise<{ target: DatabaseTarget; teardown?: () => Promise<void> }>
}

/**
 * Registers the suite's beforeAll/afterAll: a test app on the backend, closed (and the
 * backend torn down) afterwards. Call it inside `describe.skipIf(!backend.available)`.
 */
export function testAppOn(backend: Backend, options: TestAppOptions = {}) {
	const suite: { app?: TestApp; target?: DatabaseTarget } = {}
	let teardown: (() => Promise<void>) | undefined
	beforeAll(async () => {
		const env = await backend.open()
		teardown = env.teardown
		suite.target = env.target
		suite.app = await createTestApp({ ...options, target: env.target })
	})
	afterAll(async () => {
		await suite.app?.close()
		await teardown?.()
	})
	return {
		get t(): TestApp {
			return suite.app as TestApp
		},
		get target(): DatabaseTarget {
			return suite.target as DatabaseTarget
		},
	}
}
