/**
 * The bot's metrics, declared once against the shared registry. Every label is bounded:
 * gateway event names come from a fixed list (anything else is `other`), handler names and
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

/** The label value for a gateway event name. */
export function eventLabel(name: string | null | undefined): string {
	return name && COUNTED.has(name) ? name : 'other'
}

/** Latency buckets for bot → API calls: the API answers in milliseconds; timeouts reach 10 s. */
const API_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Declares the bot's metrics on `registry`; call once per registry. */
export function defineBotMetrics(registry: Registry) {
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
	return {
		api,
		discordEvents: registry.counter({
			name: 'discord_events_total',
			help: 'Gateway dispatch events received from Discord, by event name.',
			labelNames: ['event'] as const,
		}),
		handlerFailures: registry.counter({
			name: 'discord_handler_failures_total',
			help: 'Bot event handlers that ended in an error (logged with their correlation ID).',
			labelNames: ['handler'] as const,
		}),
	}
}

export type BotMetrics = ReturnType<typeof defineBotMetrics>
