/**
 * The bot's real parts, built by `createBot` as `src/bot/index.ts` builds them, against the
 * fake Discord and a real API: tests drive events through the fake gateway and read the
 * bot's JSON log lines, metrics and health. Only the retry timings are shrunk.
 */
import { afterAll, afterEach, beforeAll } from 'bun:test'
import { Events } from 'discord.js'
import { type BotOptions, createBot } from '../../src/bot/bot'
import { startMetricsServer } from '../../src/bot/metrics-server'
import type { ShardPlan } from '../../src/bot/shard-config'
import type { FatalClose } from '../../src/bot/shards'
import { createLogger } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'
import type { Tracing } from '../../src/observability/tracing'
import type { FakeDiscord } from '../fakes/discord'
import { createTestApp, type TestApp, type TestAppOptions } from '../helpers/app'
import { Changes, waitForChange } from '../helpers/output'
import type { LogLine } from './processes'

export interface InProcessBotOptions {
	fake: FakeDiscord
	apiUrl: string
	devGuildId?: string
	/** Budget of background API calls (default 5 s; production uses 90 s). */
	totalTimeoutMs?: number
	commandBudgetMs?: number
	shards?: ShardPlan
	syncConcurrency?: number
	/** Extra headers on every API call (e.g. the bearer token). */
	headers?: Record<string, string>
	/** Serve /metrics and the health checks on a free port (`metricsUrl`). */
	serveMetrics?: boolean
	/** Resolve once the client is ready (default), or right after login started. */
	waitForReady?: boolean
	/** The bot's tracing (default: none exported). */
	tracing?: Tracing
	/** The Discord token the bot logs in with; the fake must expect it (default `fake`). */
	discordToken?: string
}

export async function startInProcessBot(options: InProcessBotOptions) {
	const chunks: string[] = []
	const written = new Changes()
	const logger = createLogger({
		format: 'json',
		level: 'debug',
		name: 'bot',
		sink: {
			write: (chunk: string) => {
				chunks.push(chunk)
				written.notify()
			},
			flush: () => {},
		},
	})
	const registry = new Registry()
	const fatalCloses: FatalClose[] = []
	const botOptions: BotOptions = {
		logger,
		registry,
		tracing: options.tracing,
		http: {
			baseUrl: options.apiUrl,
			headers: options.headers,
			initialDelayMs: 10,
			maxDelayMs: 50,
			attemptTimeoutMs: 1_000,
			totalTimeoutMs: options.totalTimeoutMs ?? 5_000,
		},
		discordApiUrl: options.fake.apiUrl,
		shards: options.shards,
		syncConcurrency: options.syncConcurrency,
		devGuildId: options.devGuildId,
		commandBudgetMs: options.commandBudgetMs,
		onFatalClose: (close) => fatalCloses.push(close),
	}
	const bot = createBot(botOptions)
	const { client, tasks } = bot
	const server = options.serveMetrics ? startMetricsServer({ registry, port: 0, readiness: bot.readiness }) : undefined
	const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()))
	const login = client.login(options.discordToken ?? 'fake')
	if (options.waitForReady ?? true) {
		await login
		await ready
	} else login.catch(() => undefined)

	const logs = (): LogLine[] =>
		chunks
			.join('')
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as LogLine)

	return {
		...bot,
		registry,
		logs,
		fatalCloses,
		metricsUrl: server ? `http://127.0.0.1:${server.port}` : undefined,
		waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 5_000, what = 'a log line') {
			return waitForChange(
				written,
				() => logs().find(predicate),
				timeoutMs,
				() => `Timed out waiting for ${what}; logs:\n${chunks.join('')}`,
			)
		},
		/** Waits for the handlers still running, then disconnects. */
		async stop() {
			await tasks.drain(5_000)
			await client.destroy()
			server?.stop(true)
		},
	}
}

export type InProcessBot = Awaited<ReturnType<typeof startInProcessBot>>

/**
 * A real API (the test helper's app, in-memory PGlite) on a local port for one test file:
 * started before its tests and closed after them. Read `app` and `url` inside the tests.
 */
export function serveTestApi(options: TestAppOptions = {}) {
	let app: TestApp | undefined
	let server: ReturnType<typeof Bun.serve> | undefined
	beforeAll(async () => {
		app = await createTestApp(options)
		const handler = app.app
		server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => handler.handle(request) })
	}, 30_000)
	afterAll(async () => {
		server?.stop(true)
		await app?.close()
	})
	return {
		get app(): TestApp {
			if (!app) throw new Error('serveTestApi: the API starts in beforeAll')
			return app
		},
		get url(): string {
			return `http://127.0.0.1:${server?.port}`
		},
	}
}

/** Registers steps to run after each test, latest first (stop the bot, then its fake Discord). */
export function cleanupAfterEach(timeoutMs = 20_000): (step: () => unknown) => void {
	const steps: Array<() => unknown> = []
	afterEach(async () => {
		for (const step of steps.splice(0).reverse()) await step()
	}, timeoutMs)
	return (step) => void steps.push(step)
}
