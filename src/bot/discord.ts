/**
 * The discord.js client as the bot uses it: the Guilds intent only (guild lifecycle and
 * interactions need nothing more, and no privileged intents), sharded by discord.js itself
 * (README "The bot", "Sharding"), and an optional REST base override.
 */
import { SimpleShardingStrategy, type WebSocketManager as GatewayManager } from '@discordjs/ws'
import { Client, GatewayIntentBits } from 'discord.js'
import type { ShardPlan } from './shard-config'

export type { GatewayManager }

/** Options of {@link createDiscordClient}. */
export interface DiscordClientOptions {
	/**
	 * Discord REST base (discord.js `rest.api`), e.g. a REST proxy or a local fake. The gateway
	 * URL then comes from that API's `GET /gateway/bot`. Default: Discord's own.
	 */
	discordApiUrl?: string
	/** Default `auto`: Discord's recommended shard count, every shard in this process. */
	shards?: ShardPlan
	/**
	 * Handed the gateway manager (`@discordjs/ws`) discord.js creates at its first login, for
	 * the per-shard events discord.js does not forward (the close code of every close).
	 */
	onGatewayManager?: (manager: GatewayManager) => void
}

export function createDiscordClient(options: DiscordClientOptions = {}): Client {
	const plan = options.shards ?? { mode: 'auto' }
	return new Client({
		intents: [GatewayIntentBits.Guilds],
		...(plan.mode === 'auto' ? { shards: 'auto' } : { shards: plan.ids, shardCount: plan.count }),
		...(options.discordApiUrl ? { rest: { api: options.discordApiUrl } } : {}),
		ws: {
			// discord.js' own default strategy; building it here is the documented way to reach the manager.
			buildStrategy: (manager) => {
				options.onGatewayManager?.(manager)
				return new SimpleShardingStrategy(manager)
			},
		},
	})
}
