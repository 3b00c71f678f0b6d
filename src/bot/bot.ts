/**
 * The whole bot from injected parts (logger, metrics registry, HTTP client options): the
 * sharded discord.js client, its handlers, shard monitor, start-up sync, REST metrics and the
 * guild API client. The entrypoint and the tests build it the same way.
 */
import { Events } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { createHttpClient, type HttpClientOptions } from '../client/http-client'
import { currentContext } from '../observability/context'
import { loggerFor } from '../observability/logger'
import type { Registry } from '../observability/metrics'
import { disabledTracing, type Tracing } from '../observability/tracing'
import { createGuildApi } from './api'
import { createDiscordClient } from './discord'
import { registerHandlers } from './handlers'
import { COMMAND_LABELS } from './interactions'
import { defineBotMetrics } from './metrics'
import { observeRest } from './rest-metrics'
import { DEFAULT_SYNC_CONCURRENCY, type ShardPlan } from './shard-config'
import { type FatalClose, type ShardMonitor, monitorShards } from './shards'
import { createGuildSync } from './sync'
import { createTaskTracker } from './tasks'

/** Options of {@link createBot}. */
export interface BotOptions {
	/** Root logger of the process. */
	logger: LogLayer
	registry: Registry
	/** The API client's options (base URL, headers, timings); logs, metrics and tracing are wired here. */
	http: Omit<HttpClientOptions, 'logger' | 'metrics' | 'tracing' | 'getParentSpan'>
	/**
	 * The process's tracing (`createTracing` at start-up): one span per event, one CLIENT span
	 * per API attempt as its child. Default: nothing exported; IDs still reach logs and the API.
	 */
	tracing?: Tracing
	/** Discord REST base override (a proxy, or the fake in tests). */
	discordApiUrl?: string
	/** Default: Discord's recommended shard count, every shard here. */
	shards?: ShardPlan
	/** API calls the start-up reconcile keeps in flight (default 16). */
	syncConcurrency?: number
	devGuildId?: string
	/** Budget of API calls made while a user waits (default 10 s). */
	commandBudgetMs?: number
	isStopping?: () => boolean
	/** A shard was closed for good (4004, 4010–4014); the process should exit. */
	onFatalClose?: (close: FatalClose) => void
}

export type Bot = ReturnType<typeof createBot>

export function createBot(options: BotOptions) {
	const { logger } = options
	// The gauges read the monitor at scrape time; it needs the client, which needs nothing of them.
	let monitor: ShardMonitor | undefined
	const metrics = defineBotMetrics(options.registry, {
		sampleShards: () => monitor?.sample() ?? [],
		commands: COMMAND_LABELS,
	})
	const tracing = options.tracing ?? disabledTracing
	const http = createHttpClient({
		...options.http,
		logger: loggerFor(logger, 'bot.api'),
		metrics: metrics.api,
		tracing,
		// Every attempt is a child of the event's span, so the API continues the event's trace.
		getParentSpan: () => currentContext()?.span,
	})
	const api = createGuildApi(http)
	const tasks = createTaskTracker()
	const client = createDiscordClient({
		discordApiUrl: options.discordApiUrl,
		shards: options.shards,
		onGatewayManager: (manager) => shards.observeGateway(manager),
	})
	const shards = monitorShards(client, {
		logger,
		shardIds: options.shards?.mode === 'fixed' ? options.shards.ids : undefined,
		isStopping: options.isStopping,
		onFatalClose: options.onFatalClose,
	})
	monitor = shards
	observeRest(client.rest, metrics)
	const sync = createGuildSync({
		client,
		api,
		logger,
		concurrency: options.syncConcurrency ?? DEFAULT_SYNC_CONCURRENCY,
		isStopping: options.isStopping,
	})
	registerHandlers(client, {
		api,
		logger,
		metrics,
		tracing,
		tasks,
		sync,
		devGuildId: options.devGuildId,
		commandBudgetMs: options.commandBudgetMs,
		isStopping: options.isStopping,
	})
	const log = loggerFor(logger, 'bot.discord')
	client.once(Events.ClientReady, (ready) =>
		log
			.withMetadata({
				user_id: ready.user.id,
				user_tag: ready.user.tag,
				shard_count: ready.options.shardCount,
				shards: [...ready.ws.shards.keys()],
				guilds: ready.guilds.cache.size,
			})
			.info('Connected to Discord'),
	)
	client.on(Events.Warn, (message) => log.warn(message))
	client.on(Events.Error, (error) => log.withError(error).error('discord.js error'))
	client.on(Events.Debug, (message) => log.debug(message))

	return {
		client,
		http,
		api,
		metrics,
		tasks,
		shards,
		/** `/health/ready`: ready only while every shard of this process is (README "Health"). */
		readiness: () => ({ ready: shards.allReady(), shards: shards.states() }),
	}
}
