/**
 * The discord.js client as the bot uses it: the Guilds intent only (guild lifecycle and
 * interactions need nothing more, and no privileged intents), an optional REST base override,
 * and the connection's own lifecycle in the logs.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { loggerFor } from '../observability/logger'

/** Options of {@link createDiscordClient}. */
export interface DiscordClientOptions {
	/**
	 * Discord REST base (discord.js `rest.api`), e.g. a REST proxy or a local fake. The gateway
	 * URL then comes from that API's `GET /gateway/bot`. Default: Discord's own.
	 */
	discordApiUrl?: string
}

export function createDiscordClient(options: DiscordClientOptions = {}): Client {
	return new Client({
		intents: [GatewayIntentBits.Guilds],
		...(options.discordApiUrl ? { rest: { api: options.discordApiUrl } } : {}),
	})
}

/**
 * Logs connection state changes as `bot.discord`; discord.js' own debug stream at debug.
 * `isStopping` silences the "reconnecting" that closing the connection on purpose reports.
 */
export function logClientLifecycle(client: Client, logger: LogLayer, isStopping: () => boolean = () => false): void {
	const log = loggerFor(logger, 'bot.discord')
	client.once(Events.ClientReady, (ready) =>
		log
			.withMetadata({ user_id: ready.user.id, user_tag: ready.user.tag, guilds: ready.guilds.cache.size })
			.info('Connected to Discord'),
	)
	client.on(Events.ShardDisconnect, (event, shardId) =>
		log.withMetadata({ shard_id: shardId, close_code: event.code }).warn('Gateway disconnected; not reconnecting'),
	)
	client.on(Events.ShardReconnecting, (shardId) => {
		if (!isStopping()) log.withMetadata({ shard_id: shardId }).info('Gateway reconnecting')
	})
	client.on(Events.ShardResume, (shardId, replayed) =>
		log.withMetadata({ shard_id: shardId, replayed_events: replayed }).info('Gateway session resumed'),
	)
	client.on(Events.ShardError, (error, shardId) =>
		log.withError(error).withMetadata({ shard_id: shardId }).error('Gateway connection error'),
	)
	client.on(Events.Warn, (message) => log.warn(message))
	client.on(Events.Error, (error) => log.withError(error).error('discord.js error'))
	client.on(Events.Debug, (message) => log.debug(message))
}
