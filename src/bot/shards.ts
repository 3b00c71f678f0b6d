/**
 * The state of each shard this process runs, told truthfully (README "The bot", "Health"):
 * for `/health/ready`, for the shard gauges, and as `Shard …` lines whenever it changes. A
 * close Discord will never accept again is reported once, with what to do, to `onFatalClose`.
 */
import { WebSocketShardEvents } from '@discordjs/ws'
import { type Client, Events, GatewayCloseCodes, Status } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { loggerFor } from '../observability/logger'
import type { GatewayManager } from './discord'
import type { ShardSample } from './metrics'

export type ShardState = 'connecting' | 'ready' | 'reconnecting' | 'resuming' | 'closed'

/** A close Discord will not accept a reconnect after, and what the operator has to change. */
export interface FatalClose {
	shardId: number
	code: number
	reason: string
	action: string
}

/** Close codes after which Discord refuses the shard for good (the ones discord.js gives up on). */
const FATAL_CLOSES: Readonly<Record<number, { reason: string; action: string }>> = {
	[GatewayCloseCodes.AuthenticationFailed]: {
		reason: 'authentication failed',
		action: 'DISCORD_TOKEN is wrong or was reset: copy the token again (Developer Portal → Bot → Reset Token)',
	},
	[GatewayCloseCodes.InvalidShard]: {
		reason: 'invalid shard',
		action: 'DISCORD_SHARD_IDS names a shard Discord does not accept: keep every id below DISCORD_SHARD_COUNT',
	},
	[GatewayCloseCodes.ShardingRequired]: {
		reason: 'sharding required',
		action:
			'a shard would hold more than 2,500 guilds: raise DISCORD_SHARD_COUNT (about one shard per 1,000 guilds), or unset it for Discord’s recommendation',
	},
	[GatewayCloseCodes.InvalidAPIVersion]: {
		reason: 'invalid API version',
		action: 'this discord.js speaks a gateway version Discord no longer accepts: upgrade discord.js',
	},
	[GatewayCloseCodes.InvalidIntents]: {
		reason: 'invalid intents',
		action: 'Discord rejects the gateway intents the bot sends: upgrade discord.js, or report it as a Byte bug',
	},
	[GatewayCloseCodes.DisallowedIntents]: {
		reason: 'disallowed intents',
		action:
			'the bot asks for a privileged intent it is not allowed: enable it under Developer Portal → Bot → Privileged Gateway Intents',
	},
}

/** Options of {@link monitorShards}. */
export interface ShardMonitorOptions {
	/** Root logger; lines go to `bot.discord`. */
	logger: LogLayer
	/** The shards this process will run, when known before login (a fixed plan). */
	shardIds?: readonly number[]
	/** True once shutdown began: closes are expected then, and not worth a warning. */
	isStopping?: () => boolean
	/** Called once, at the first close Discord will never accept again. */
	onFatalClose?: (close: FatalClose) => void
}

export type ShardMonitor = ReturnType<typeof monitorShards>

/** Attaches to `client` (before `login`); pass `observeGateway` to `createDiscordClient`. */
export function monitorShards(client: Client, options: ShardMonitorOptions) {
	const log = loggerFor(options.logger, 'bot.discord')
	const stopping = options.isStopping ?? (() => false)
	const everReady = new Set<number>()
	const fatal = new Map<number, FatalClose>()
	let reported = false

	const shardIds = (): number[] =>
		client.ws.shards.size > 0 ? [...client.ws.shards.keys()].sort((a, b) => a - b) : [...(options.shardIds ?? [])]

	function stateOf(id: number): ShardState {
		if (fatal.has(id)) return 'closed'
		switch (client.ws.shards.get(id)?.status) {
			case Status.Ready:
				return 'ready'
			case Status.Resuming:
				return 'resuming'
			case Status.Disconnected:
				return 'closed'
			default:
				return everReady.has(id) ? 'reconnecting' : 'connecting'
		}
	}

	const guildsOn = (id: number) => client.guilds.cache.filter((guild) => guild.shardId === id)

	client.on(Events.ShardReady, (shardId, unavailable) => {
		everReady.add(shardId)
		const guilds = guildsOn(shardId).size
		log.withMetadata({ shard_id: shardId, guilds, unavailable_guilds: unavailable?.size ?? 0 }).info('Shard ready')
	})
	client.on(Events.ShardReconnecting, (shardId) => {
		if (!stopping()) log.withMetadata({ shard_id: shardId }).info('Shard reconnecting')
	})
	client.on(Events.ShardResume, (shardId, replayed) =>
		log.withMetadata({ shard_id: shardId, replayed_events: replayed }).info('Shard resumed'),
	)
	client.on(Events.ShardError, (error, shardId) => {
		const line = log.withError(error).withMetadata({ shard_id: shardId })
		// After a fatal close discord.js reports it once more as an error; the close line said it all.
		if (fatal.has(shardId)) line.debug('Gateway connection error')
		else line.error('Gateway connection error')
	})
	// discord.js emits this only for the closes it will not reconnect after.
	client.on(Events.ShardDisconnect, (event, shardId) => {
		const known = FATAL_CLOSES[event.code]
		const close: FatalClose = {
			shardId,
			code: event.code,
			reason: known?.reason ?? 'not reconnecting',
			action: known?.action ?? 'check the close code in Discord’s gateway documentation',
		}
		fatal.set(shardId, close)
		if (reported) return
		reported = true
		log
			.withMetadata({ shard_id: shardId, close_code: close.code, close_reason: close.reason, action: close.action })
			.error(`Gateway closed with ${close.code} (${close.reason}); exiting: ${close.action}`)
		options.onFatalClose?.(close)
	})

	return {
		/** Listens to the gateway manager for every shard's close code. */
		observeGateway(manager: GatewayManager) {
			manager.on(WebSocketShardEvents.Closed, ({ code, shardId }) => {
				const line = log.withMetadata({ shard_id: shardId, close_code: code, close_reason: closeName(code) })
				if (stopping()) line.info('Shard closed')
				else line.warn('Shard closed')
			})
		},

		/** Every shard of this process and its state, by id (`{"0":"ready","1":"reconnecting"}`). */
		states(): Record<string, ShardState> {
			return Object.fromEntries(shardIds().map((id) => [String(id), stateOf(id)]))
		},

		/** True while every shard of this process is ready (false before the shards are known). */
		allReady(): boolean {
			const ids = shardIds()
			return ids.length > 0 && ids.every((id) => stateOf(id) === 'ready')
		},

		/** What the shard gauges show (README "Metrics"). */
		sample(): ShardSample[] {
			const available = new Map<number, number>()
			for (const guild of client.guilds.cache.values()) {
				if (guild.available) available.set(guild.shardId, (available.get(guild.shardId) ?? 0) + 1)
			}
			return shardIds().map((shard) => {
				const ping = client.ws.shards.get(shard)?.ping ?? -1
				return {
					shard,
					ready: stateOf(shard) === 'ready',
					latencySeconds: ping >= 0 ? ping / 1000 : undefined,
					guilds: available.get(shard) ?? 0,
				}
			})
		},
	}
}

/** `GatewayCloseCodes` names the 4xxx codes (`UnknownError` → `unknown error`); the rest are WebSocket closes. */
function closeName(code: number): string {
	const name = FATAL_CLOSES[code]?.reason ?? GatewayCloseCodes[code]
	return name ? name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : 'websocket close'
}
