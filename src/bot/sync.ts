/**
 * Start-up reconcile, one shard at a time as each turns ready (README "The bot", "Start-up
 * sync"): every guild Discord lists for the shard exists in the API under its current name,
 * and the API's guilds of *that shard* that Discord no longer lists (the bot was removed while
 * it was offline) are deleted. Guilds of other shards, run by other processes, are never
 * touched. API calls share one bound (`BOT_SYNC_CONCURRENCY`) across all shards.
 */
import { asError } from '../errors'
import { type Client, type Guild, ShardClientUtil } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { ApiUnavailableError } from '../client/http-client'
import { loggerFor } from '../observability/logger'
import type { GuildDto } from '../modules/guilds/models'
import { type GuildApi, PAGE_SIZE } from './api'
import { createLimiter } from './limit'

/** Options of {@link createGuildSync}. */
export interface GuildSyncOptions {
	client: Client
	api: GuildApi
	/** Root logger; lines go to `bot.sync`. */
	logger: LogLayer
	/** API calls in flight at once, all shards together. */
	concurrency: number
	/** True once shutdown began: calls not started yet are skipped. */
	isStopping?: () => boolean
}

export interface SyncCounts {
	created: number
	renamed: number
	removed: number
	failed: number
	/** Not attempted: the API stayed unavailable for a whole retry budget, or shutdown began. */
	skipped: number
}

export type GuildSync = ReturnType<typeof createGuildSync>

export function createGuildSync(options: GuildSyncOptions) {
	const { client, api } = options
	const log = loggerFor(options.logger, 'bot.sync')
	const limit = createLimiter(options.concurrency)
	const stopping = options.isStopping ?? (() => false)
	/** The list read when the first shard turned ready, shared by every shard's first reconcile. */
	let startupListing: Promise<GuildDto[]> | undefined
	const reconciledBefore = new Set<number>()

	/** Every registered guild: the first page says how many, the others are read in parallel. */
	async function listRegistered(): Promise<GuildDto[]> {
		const first = await limit(() => api.listGuilds({ limit: PAGE_SIZE, offset: 0 }))
		const offsets: number[] = []
		for (let offset = PAGE_SIZE; offset < first.total; offset += PAGE_SIZE) offsets.push(offset)
		// Pages read while guilds are created may overlap or skip a row: a skipped guild is
		// created again (409, already there) or pruned at the next start, both harmless.
		const pages = await Promise.all(offsets.map((offset) => limit(() => api.listGuilds({ limit: PAGE_SIZE, offset }))))
		return [first, ...pages].flatMap((page) => page.items)
	}

	/** A shard turning ready again later (a new session) gets a fresh list; the rest share the start-up one. */
	function registeredFor(shardId: number): Promise<GuildDto[]> {
		if (reconciledBefore.has(shardId)) return listRegistered()
		reconciledBefore.add(shardId)
		startupListing ??= listRegistered()
		return startupListing
	}

	async function reconcileShard(shardId: number): Promise<SyncCounts> {
		const started = performance.now()
		const shardCount = client.options.shardCount ?? 1
		const onDiscord = new Map<string, Guild>()
		for (const guild of client.guilds.cache.values()) if (guild.shardId === shardId) onDiscord.set(guild.id, guild)
		const registered = new Map<string, GuildDto>()
		for (const guild of await registeredFor(shardId)) {
			if (ShardClientUtil.shardIdForGuildId(guild.guildId, shardCount) === shardId) registered.set(guild.guildId, guild)
		}

		const counts: SyncCounts = { created: 0, renamed: 0, removed: 0, failed: 0, skipped: 0 }
		let unavailable: ApiUnavailableError | undefined
		const attempt = (guildId: string, call: () => Promise<keyof SyncCounts | undefined>) =>
			limit(async () => {
				if (unavailable || stopping()) return void counts.skipped++
				try {
					const counted = await call()
					if (counted) counts[counted]++
				} catch (error) {
					counts.failed++
					if (error instanceof ApiUnavailableError) unavailable ??= error
					else
						log
							.withError(asError(error))
							.withMetadata({ shard_id: shardId, guild_id: guildId })
							.error('Guild reconcile failed')
				}
			})

		const calls: Promise<void>[] = []
		for (const guild of onDiscord.values()) {
			// An outage hides the name (and the guild's GUILD_CREATE follows later): leave it be.
			if (!guild.available) continue
			const known = registered.get(guild.id)
			if (!known) {
				calls.push(
					attempt(guild.id, async () => {
						const result = await api.ensureGuild({ guildId: guild.id, guildName: guild.name })
						return result.outcome === 'created' ? 'created' : undefined
					}),
				)
			} else if (known.guildName !== guild.name) {
				calls.push(attempt(guild.id, async () => (await api.renameGuild(guild.id, guild.name), 'renamed')))
			}
		}
		// Unavailable guilds are still listed (as stubs), so an outage never prunes settings.
		for (const guildId of registered.keys()) {
			if (onDiscord.has(guildId)) continue
			calls.push(attempt(guildId, async () => ((await api.deleteGuild(guildId)) === 'deleted' ? 'removed' : undefined)))
		}
		await Promise.all(calls)

		const line = log.withMetadata({
			shard_id: shardId,
			guilds: onDiscord.size,
			registered_before: registered.size,
			...counts,
			duration_ms: Math.round(performance.now() - started),
		})
		if (unavailable) line.withError(unavailable).error('Guilds reconciled')
		else if (counts.failed > 0 || counts.skipped > 0) line.warn('Guilds reconciled')
		else line.info('Guilds reconciled')
		return counts
	}

	return { reconcileShard }
}
