/**
 * The bot's metrics, declared once against the shared registry (README "The bot", "Metrics").
 * Every label is bounded: gateway event names come from a fixed list (anything else is
 * `other`), shards are this process's own, commands are the registered ones (else `other`),
 * Discord REST routes are discord.js' route templates with IDs replaced, handler names and
 * API route templates are fixed in code.
 */
import type { HttpClientMetrics } from '../client/http-client'
import type { Registry } from '../observability/metrics'

/** Gateway dispatches counted by name; the rest share `other`. */
export const COUNTED_EVENTS = [
	'READY',
	'RESUMED',
	'GUILD_CREATE',
	'GUILD_UPDATE',
	'GUILD_DELETE',
	'INTERACTION_CREATE',
	'CHANNEL_CREATE',
	'CHANNEL_UPDATE',
	'CHANNEL_DELETE',
	'THREAD_CREATE',
	'THREAD_UPDATE',
	'THREAD_DELETE',
	'GUILD_ROLE_CREATE',
	'GUILD_ROLE_UPDATE',
	'GUILD_ROLE_DELETE',
] as const
const COUNTED: ReadonlySet<string> = new Set(COUNTED_EVENTS)

/** `scope` values of `discord_rest_rate_limited_total`, as Discord names them (X-RateLimit-Scope). */
export const RATE_LIMIT_SCOPES = ['global', 'shared', 'user'] as const

/** The label value for a gateway event name. */
export function eventLabel(name: string | null | undefined): string {
	return name && COUNTED.has(name) ? name : 'other'
}

/** Latency buckets for bot → API calls: the API answers in milliseconds; timeouts reach 10 s. */
const API_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Interaction received → final reply: API calls under a 10 s budget, then the Discord edit. */
const COMMAND_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15]
/** Interaction created → first response Discord accepted; the buckets bracket its 3 s deadline. */
const ACK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5]

/** One shard of this process as the gauges read it at scrape time. */
export interface ShardSample {
	shard: number
	ready: boolean
	/** Last heartbeat round trip; undefined until one was acknowledged. */
	latencySeconds: number | undefined
	/** Available guilds on the shard. */
	guilds: number
}

/** Options of {@link defineBotMetrics}. */
export interface BotMetricsOptions {
	/** This process's shards, sampled at each scrape (default: none yet). */
	sampleShards?: () => ShardSample[]
	/** Command label values known up front, so their series exist (at 0) before the first use. */
	commands?: readonly string[]
}

/** Declares the bot's metrics on `registry`; call once per registry. */
export function defineBotMetrics(registry: Registry, options: BotMetricsOptions = {}) {
	const sample = options.sampleShards ?? (() => [])
	const api: Required<HttpClientMetrics> = {
		requests: registry.counter({
			name: 'bot_api_requests_total',
			help: 'Attempts of bot calls to the API, by route template and status (code, timeout or network_error).',
			labelNames: ['method', 'endpoint', 'status'] as const,
		}),
		duration: registry.histogram({
			name: 'bot_api_request_duration_seconds',
			help: 'Duration of each attempt of a bot call to the API.',
			labelNames: ['method', 'endpoint'] as const,
			buckets: API_BUCKETS,
		}),
		retries: registry.counter({
			name: 'bot_api_retries_total',
			help: 'Retries scheduled for bot calls to the API after a network error, timeout, 429 or 502-504.',
			labelNames: ['method', 'endpoint'] as const,
		}),
	}
	registry.gauge({
		name: 'discord_shard_ready',
		help: 'Whether each shard of this process is connected and ready (1) or not (0).',
		labelNames: ['shard'] as const,
		collect: (gauge) => {
			for (const shard of sample()) gauge.labels(String(shard.shard)).set(shard.ready ? 1 : 0)
		},
	})
	registry.gauge({
		name: 'discord_gateway_latency_seconds',
		help: "Round trip of each shard's last gateway heartbeat; no sample until one was acknowledged.",
		labelNames: ['shard'] as const,
		collect: (gauge) => {
			for (const { shard, latencySeconds } of sample()) {
				if (latencySeconds !== undefined) gauge.labels(String(shard)).set(latencySeconds)
			}
		},
	})
	registry.gauge({
		name: 'discord_guilds',
		help: 'Available guilds on each shard of this process.',
		labelNames: ['shard'] as const,
		collect: (gauge) => {
			for (const shard of sample()) gauge.labels(String(shard.shard)).set(shard.guilds)
		},
	})
	const commands = registry.counter({
		name: 'discord_commands_total',
		help: 'Slash commands handled, by command (registered ones, else other) and outcome (success or error).',
		labelNames: ['command', 'outcome'] as const,
	})
	const expired = registry.counter({
		name: 'discord_interactions_expired_total',
		help: 'Interactions whose first response Discord refused as gone (10062) or that could not be answered within 3 s.',
		labelNames: ['command'] as const,
	})
	const rateLimited = registry.counter({
		name: 'discord_rest_rate_limited_total',
		help: 'Discord REST rate limits met: a 429 answer, or discord.js holding a request for an exhausted bucket.',
		labelNames: ['scope'] as const,
	})
	// Series that exist from the start, so increase() and rate() see their first event.
	for (const command of options.commands ?? []) {
		for (const outcome of ['success', 'error']) commands.labels(command, outcome)
		expired.labels(command)
	}
	for (const scope of RATE_LIMIT_SCOPES) rateLimited.labels(scope)

	return {
		api,
		discordEvents: registry.counter({
			name: 'discord_events_total',
			help: 'Gateway dispatch events received from Discord, by event name and shard.',
			labelNames: ['event', 'shard'] as const,
		}),
		commands,
		commandDuration: registry.histogram({
			name: 'discord_command_duration_seconds',
			help: 'Slash commands from the interaction arriving to the final reply sent.',
			labelNames: ['command'] as const,
			buckets: COMMAND_BUCKETS,
		}),
		interactionAck: registry.histogram({
			name: 'discord_interaction_ack_seconds',
			help: "Interactions from their creation (the ID's timestamp) to the first response Discord accepted (reply or defer).",
			labelNames: ['command'] as const,
			buckets: ACK_BUCKETS,
		}),
		interactionsExpired: expired,
		restRequests: registry.counter({
			name: 'discord_rest_requests_total',
			help: 'Discord REST responses, by method, discord.js route template (IDs replaced) and status.',
			labelNames: ['method', 'route', 'status'] as const,
		}),
		restRateLimited: rateLimited,
		handlerFailures: registry.counter({
			name: 'discord_handler_failures_total',
			help: 'Bot event handlers that ended in an error (logged with their correlation ID).',
			labelNames: ['handler'] as const,
		}),
	}
}

export type BotMetrics = ReturnType<typeof defineBotMetrics>
