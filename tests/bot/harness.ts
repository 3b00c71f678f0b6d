/**
 * The bot's real parts, wired in-process the way `src/bot/index.ts` wires them, against the
 * fake Discord and a real API: tests drive events through the fake gateway and read the
 * bot's JSON log lines and metrics. Only the retry timings are shrunk.
 */
import { Events } from 'discord.js'
import { createHttpClient } from '../../src/client/http-client'
import { createGuildApi } from '../../src/bot/api'
import { createDiscordClient, logClientLifecycle } from '../../src/bot/discord'
import { registerHandlers } from '../../src/bot/handlers'
import { defineBotMetrics } from '../../src/bot/metrics'
import { createTaskTracker } from '../../src/bot/tasks'
import { createLogger, loggerFor } from '../../src/observability/logger'
import { Registry } from '../../src/observability/metrics'
import type { FakeDiscord } from '../fakes/discord'
import type { LogLine } from './processes'

export interface InProcessBotOptions {
	fake: FakeDiscord
	apiUrl: string
	devGuildId?: string
	/** Budget of background API calls (default 5 s; production uses 90 s). */
	totalTimeoutMs?: number
	commandBudgetMs?: number
}

export async function startInProcessBot(options: InProcessBotOptions) {
	const chunks: string[] = []
	const logger = createLogger({
		format: 'json',
		level: 'debug',
		name: 'bot',
		sink: { write: (chunk: string) => void chunks.push(chunk), flush: () => {} },
	})
	const registry = new Registry()
	const metrics = defineBotMetrics(registry)
	const http = createHttpClient({
		baseUrl: options.apiUrl,
		logger: loggerFor(logger, 'bot.api'),
		metrics: metrics.api,
		initialDelayMs: 10,
		maxDelayMs: 50,
		attemptTimeoutMs: 1_000,
		totalTimeoutMs: options.totalTimeoutMs ?? 5_000,
	})
	const tasks = createTaskTracker()
	const client = createDiscordClient({ discordApiUrl: options.fake.apiUrl })
	logClientLifecycle(client, logger)
	registerHandlers(client, {
		api: createGuildApi(http),
		logger,
		metrics,
		tasks,
		devGuildId: options.devGuildId,
		commandBudgetMs: options.commandBudgetMs,
	})
	const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()))
	await client.login('fake')
	await ready

	const logs = (): LogLine[] =>
		chunks
			.join('')
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as LogLine)

	return {
		client,
		registry,
		tasks,
		http,
		logs,
		async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 5_000, what = 'a log line') {
			const deadline = Date.now() + timeoutMs
			for (;;) {
				const found = logs().find(predicate)
				if (found) return found
				if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; logs:\n${chunks.join('')}`)
				await Bun.sleep(10)
			}
		},
		/** Waits for the handlers still running, then disconnects. */
		async stop() {
			await tasks.drain(5_000)
			await client.destroy()
		},
	}
}

export type InProcessBot = Awaited<ReturnType<typeof startInProcessBot>>
