/**
 * What the bot does with Discord's events. Each event or interaction starts a trace (one span,
 * ./event-trace.ts) and runs in its own async context with a fresh correlation ID, so every
 * log line and API call it causes (including retries) carries that one ID and the trace; each
 * handler is wrapped so a failure is logged, counted and marks the span failed, but never
 * takes the process down. The bot's own lines about an event carry its `shard_id`.
 */
import { asError } from '../errors'
import { type ChatInputCommandInteraction, type Client, Events, type Guild, ShardClientUtil } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { ApiNotFoundError, ApiUnavailableError } from '../client/http-client'
import { currentCorrelationId, runWithContext } from '../observability/context'
import { loggerFor } from '../observability/logger'
import { disabledTracing, type Tracing } from '../observability/tracing'
import type { GuildApi } from './api'
import { COMMANDS, NOT_REGISTERED, failureMessage, formatConfig, formatPing } from './commands'
import { startEventTrace } from './event-trace'
import { type CommandRun, commandLabel, InteractionExpiredError, startCommand } from './interactions'
import { type BotMetrics, eventLabel } from './metrics'
import type { GuildSync } from './sync'
import type { TaskTracker } from './tasks'

/** Options of {@link registerHandlers}. */
export interface HandlerDeps {
	api: GuildApi
	/** Root logger; handlers log as `bot.events`. */
	logger: LogLayer
	metrics: BotMetrics
	/** Where each event's span goes (default: none exported; the IDs still reach logs and the API). */
	tracing?: Tracing
	/** Running handlers, for a bounded wait at shutdown. */
	tasks: TaskTracker
	/** Reconciles a shard's guilds with the API when it turns ready. */
	sync: GuildSync
	/** Register slash commands in this guild only (instant) instead of globally. */
	devGuildId?: string
	/**
	 * Budget for API calls while a user waits on a command (default 10 s): far below the
	 * background budget, because a person is watching "Byte is thinking…".
	 */
	commandBudgetMs?: number
	/** True once shutdown began; new events are then logged and skipped. */
	isStopping?: () => boolean
}

type Handler =
	| 'ready'
	| 'shardReady'
	| 'guildCreate'
	| 'guildUpdate'
	| 'guildDelete'
	| 'guildUnavailable'
	| 'interactionCreate'

/** The gateway dispatch behind each handler, as its span's `discord.event` (README "Tracing one event"). */
const DISPATCH: Record<Handler, string> = {
	ready: 'READY',
	shardReady: 'READY',
	guildCreate: 'GUILD_CREATE',
	guildUpdate: 'GUILD_UPDATE',
	guildDelete: 'GUILD_DELETE',
	// discord.js reports a GUILD_DELETE with `unavailable: true` as guildUnavailable.
	guildUnavailable: 'GUILD_DELETE',
	interactionCreate: 'INTERACTION_CREATE',
}

/** What an event is about, for its log lines and span. */
interface Subject {
	shardId: number
	guildId?: string | null
	guildName?: string
	/** For interactions: the command's label, which names the span. */
	command?: string
}

/** Marks the event's span failed without the handler failing (e.g. an interaction that expired). */
type Fail = (error: unknown) => void

/** Attaches the bot's behaviour to a discord.js client (call before `login`). */
export function registerHandlers(client: Client, deps: HandlerDeps): void {
	const log = loggerFor(deps.logger, 'bot.events')
	const { api, metrics } = deps
	const tracing = deps.tracing ?? disabledTracing
	const commandCall = { totalTimeoutMs: deps.commandBudgetMs ?? 10_000 }
	const at = (guild: Guild) => ({ guild_id: guild.id, shard_id: guild.shardId })

	/** Runs one event in its own trace and correlation ID, logging and counting any failure. */
	function handle(handler: Handler, subject: Subject, run: (fail: Fail) => Promise<void>) {
		const where = { discord_event: handler, shard_id: subject.shardId, guild_id: subject.guildId ?? undefined }
		if (deps.isStopping?.()) {
			log.withMetadata(where).info('Discord event skipped: shutting down')
			return
		}
		const { span, context } = startEventTrace(tracing, { ...subject, event: DISPATCH[handler] })
		const task = runWithContext(context, async () => {
			log.withMetadata({ ...where, guild_name: subject.guildName }).info('Discord event')
			let failure: unknown
			try {
				await run((error) => {
					failure = error
				})
			} catch (error) {
				failure = error
				metrics.handlerFailures.labels(handler).inc()
				const message =
					error instanceof ApiUnavailableError ? 'Discord event failed: API unavailable' : 'Discord event failed'
				log.withError(asError(error)).withMetadata(where).error(message)
			} finally {
				span.end(failure === undefined ? undefined : { error: failure })
			}
		})
		deps.tasks.track(task)
	}

	/** The shard a guild's events arrive on, also for a guild discord.js has not cached. */
	const shardOf = (guildId: string | null) =>
		guildId === null ? 0 : ShardClientUtil.shardIdForGuildId(guildId, client.options.shardCount ?? 1)

	async function registerCommands(ready: Client<true>) {
		const scope = deps.devGuildId ? 'guild' : 'global'
		const registered = deps.devGuildId
			? await ready.application.commands.set(COMMANDS, deps.devGuildId)
			: await ready.application.commands.set(COMMANDS)
		log
			.withMetadata({ scope, guild_id: deps.devGuildId, commands: [...registered.values()].map((c) => c.name) })
			.info('Slash commands registered')
	}

	async function ensureGuild(guild: Guild) {
		const result = await api.ensureGuild({ guildId: guild.id, guildName: guild.name })
		const message = result.outcome === 'created' ? 'Guild registered' : 'Guild already registered'
		log.withMetadata({ ...at(guild), guild_name: guild.name }).info(message)
	}

	async function configCommand(interaction: ChatInputCommandInteraction, run: CommandRun) {
		if (!interaction.inGuild()) return run.respond('Use /config inside a server.')
		await run.defer()
		const id = interaction.guildId
		try {
			const [guild, github, forum] = await Promise.all([
				api.getGuild(id, commandCall),
				api.getGithub(id, commandCall),
				api.getForum(id, commandCall),
			])
			await run.respond(formatConfig(guild, github, forum))
		} catch (error) {
			if (!(error instanceof ApiNotFoundError)) throw error
			log.withMetadata({ guild_id: id, shard_id: shardOf(id) }).warn('Config requested for an unregistered guild')
			await run.respond(NOT_REGISTERED)
		}
	}

	async function pingCommand(interaction: ChatInputCommandInteraction, run: CommandRun) {
		await run.defer()
		let apiMs: number | undefined
		try {
			apiMs = await api.ping(commandCall)
		} catch (error) {
			log.withError(asError(error)).warn('API ping failed')
		}
		const reference = apiMs === undefined ? currentCorrelationId() : undefined
		const shard = client.ws.shards.get(shardOf(interaction.guildId))
		await run.respond(formatPing(shard?.ping ?? client.ws.ping, apiMs, reference))
	}

	async function onCommand(interaction: ChatInputCommandInteraction, shardId: number, fail: Fail) {
		const run = startCommand(interaction, { metrics, log })
		let outcome: 'success' | 'error' = 'error'
		try {
			if (interaction.commandName === 'config') await configCommand(interaction, run)
			else if (interaction.commandName === 'ping') await pingCommand(interaction, run)
			else await run.respond('Byte does not know this command (any more).')
			outcome = 'success'
		} catch (error) {
			if (error instanceof InteractionExpiredError) {
				log.withMetadata({ shard_id: shardId, age_ms: error.ageMs }).warn(error.message)
				fail(error)
				return
			}
			// Tell the user before the wrapper logs: they get the ID to quote, never a stack.
			// (If Discord itself failed, this reply fails too; the wrapper still logs the cause.)
			await run.respond(failureMessage(currentCorrelationId() ?? 'unknown')).catch(() => undefined)
			throw error
		} finally {
			run.finish(outcome, shardId)
		}
	}

	client.once(Events.ClientReady, (ready) => {
		// Several processes form one bot; the one running shard 0 speaks for it.
		if (!client.ws.shards.has(0)) return
		handle('ready', { shardId: 0 }, async (fail) => {
			try {
				await registerCommands(ready)
			} catch (error) {
				// The bot still serves events without fresh commands.
				fail(error)
				metrics.handlerFailures.labels('ready').inc()
				log.withError(asError(error)).error('Slash command registration failed')
			}
		})
	})
	// Each shard is reconciled as soon as it has its guilds, not once the slowest shard has.
	client.on(Events.ShardReady, (shardId) =>
		handle('shardReady', { shardId }, async () => {
			await deps.sync.reconcileShard(shardId)
		}),
	)
	client.on(Events.GuildCreate, (guild) =>
		handle('guildCreate', { shardId: guild.shardId, guildId: guild.id, guildName: guild.name }, () =>
			ensureGuild(guild),
		),
	)
	client.on(Events.GuildUpdate, (before, after) =>
		handle('guildUpdate', { shardId: after.shardId, guildId: after.id, guildName: after.name }, async () => {
			if (before.name === after.name) return
			try {
				await api.renameGuild(after.id, after.name)
				log.withMetadata({ ...at(after), old_name: before.name, guild_name: after.name }).info('Guild renamed')
			} catch (error) {
				if (!(error instanceof ApiNotFoundError)) throw error
				await ensureGuild(after) // missed while the bot was away: register it now
			}
		}),
	)
	// discord.js emits guildDelete only when the bot left or was removed; an outage's
	// GUILD_DELETE (`unavailable: true`) arrives as guildUnavailable and must keep the settings.
	client.on(Events.GuildDelete, (guild) =>
		handle('guildDelete', { shardId: guild.shardId, guildId: guild.id, guildName: guild.name }, async () => {
			const result = await api.deleteGuild(guild.id)
			log.withMetadata({ ...at(guild), result }).info('Guild removed')
		}),
	)
	client.on(Events.GuildUnavailable, (guild) =>
		handle('guildUnavailable', { shardId: guild.shardId, guildId: guild.id }, async () => {
			log.withMetadata(at(guild)).warn('Guild unavailable (Discord outage); settings kept')
		}),
	)
	client.on(Events.InteractionCreate, (interaction) => {
		if (!interaction.isChatInputCommand()) return
		const shardId = interaction.guild?.shardId ?? shardOf(interaction.guildId)
		const command = commandLabel(interaction.commandName)
		const subject = { shardId, guildId: interaction.guildId, guildName: interaction.guild?.name, command }
		handle('interactionCreate', subject, (fail) => onCommand(interaction, shardId, fail))
	})
	// Every dispatch is counted, handled or not; names outside a fixed list share `other`.
	client.on(Events.Raw, (packet: { t?: string | null }, shardId: number) => {
		if (packet.t) metrics.discordEvents.labels(eventLabel(packet.t), String(shardId)).inc()
	})
}
