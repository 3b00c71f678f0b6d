/**
 * Which shards this process runs (README "The bot", "Sharding"): `DISCORD_SHARD_COUNT` fixes
 * the bot's total, `DISCORD_SHARD_IDS` (ids and ranges, `0-3,8`) picks this process's share.
 * Nothing set: discord.js asks Discord for its recommended count and runs every shard.
 */
import { ConfigError, type Env, parsePositiveInt } from '../config'

export type ShardPlan =
	/** discord.js `shards: 'auto'`: Discord's recommended count, all in this process. */
	| { mode: 'auto' }
	/** `count` shards in total for the bot; this process runs `ids` (sorted, no duplicates). */
	| { mode: 'fixed'; count: number; ids: number[] }

/** Far above any bot's shard count; it only keeps a typo from allocating millions of shards. */
const MAX_SHARDS = 65_536
const SYNTAX = 'shard ids and ranges separated by commas, e.g. 0-3,8'

/** Parses `DISCORD_SHARD_IDS` against a known total. */
export function parseShardIds(value: string, count: number): number[] {
	const ids = new Set<number>()
	for (const part of value.split(',')) {
		const match = /^\s*(\d{1,6})\s*(?:-\s*(\d{1,6})\s*)?$/.exec(part)
		if (!match) throw new ConfigError('DISCORD_SHARD_IDS', SYNTAX)
		const from = Number(match[1])
		const to = match[2] === undefined ? from : Number(match[2])
		if (to < from) throw new ConfigError('DISCORD_SHARD_IDS', `ranges from low to high (${part.trim()} is reversed)`)
		if (to >= count) {
			throw new ConfigError(
				'DISCORD_SHARD_IDS',
				`ids from 0 to ${count - 1} (DISCORD_SHARD_COUNT=${count}), but ${part.trim()} goes beyond`,
			)
		}
		for (let id = from; id <= to; id++) ids.add(id)
	}
	return [...ids].sort((a, b) => a - b)
}

/** Reads `DISCORD_SHARD_COUNT` and `DISCORD_SHARD_IDS`; throws ConfigError naming the variable. */
export function parseShardPlan(env: Env): ShardPlan {
	const rawCount = env.DISCORD_SHARD_COUNT?.trim()
	const rawIds = env.DISCORD_SHARD_IDS?.trim()
	if (!rawCount) {
		if (rawIds)
			throw new ConfigError('DISCORD_SHARD_IDS', 'DISCORD_SHARD_COUNT to be set too (ids are shards of a fixed total)')
		return { mode: 'auto' }
	}
	const count = parsePositiveInt('DISCORD_SHARD_COUNT', rawCount, 1, MAX_SHARDS)
	const ids = rawIds ? parseShardIds(rawIds, count) : Array.from({ length: count }, (_, id) => id)
	return { mode: 'fixed', count, ids }
}

/** `BOT_SYNC_CONCURRENCY`: API calls the start-up reconcile keeps in flight (default 16). */
export function parseSyncConcurrency(env: Env): number {
	return parsePositiveInt('BOT_SYNC_CONCURRENCY', env.BOT_SYNC_CONCURRENCY, DEFAULT_SYNC_CONCURRENCY, 256)
}

export const DEFAULT_SYNC_CONCURRENCY = 16
