/**
 * What the bot does with Discord's events. Each event or interaction runs in its own async
 * context with a fresh correlation ID, so every log line and API call it causes (including
 * retries) carries that one ID; each handler is wrapped so a failure is logged and counted
 * but never takes the process down.
 */
import {
	type ChatInputCommandInteraction,
	type Client,
	Events,
	type Guild,
	type Interaction,
	MessageFlags,
} from 'discord.js'
import type { LogLayer } from 'loglayer'
import { ApiNotFoundError, ApiUnavailableError } from '../client/http-client'
import { currentCorrelationId, runWithContext } from '../observability/context'
import { loggerFor } from '../observability/logger'
import type { GuildApi } from './api'
import { COMMANDS, NOT_REGISTERED, failureMessage, formatConfig, formatPing } from './commands'
import { type BotMetrics, eventLabel } from './metrics'
import type { TaskTracker } from './tasks'

/** Options of {@link registerHandlers}. */
export interface HandlerDeps {
	api: GuildApi
	/** Root logger; handlers log as `bot.events`. */
	logger: LogLayer
	metrics: BotMetrics
	/** Running handlers, for a bounded wait at shutdown. */
	tasks: TaskTracker
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

type Handler = 'ready' | 'guildCreate' | 'guildUpdate' | 'guildDelete' | 'guildUnavailable' | 'interactionCreate'

/** Attaches the bot's behaviour to a discord.js client (call before `login`). */
export function registerHandlers(client: Client, deps: HandlerDeps): void {
	const log = loggerFor(deps.logger, 'bot.events')
	const { api, metrics } = deps
	const commandCall = { totalTimeoutMs: deps.commandBudgetMs ?? 10_000 }

	/** Runs one event under its own correlation ID, logging and counting any failure. */
	function handle(handler: Handler, guild: { id: string; name?: string } | null, run: () => Promise<void>) {
		if (deps.isStopping?.()) {
			log.withMetadata({ discord_event: handler, guild_id: guild?.id }).info('Discord event skipped: shutting down')
			return
		}
		const task = runWithContext({ correlationId: crypto.randomUUID() }, async () => {
			log.withMetadata({ discord_event: handler, guild_id: guild?.id, guild_name: guild?.name }).info('Discord event')
			try {
				await run()
			} catch (error) {
				metrics.handlerFailures.labels(handler).inc()
				const message =
					error instanceof ApiUnavailableError ? 'Discord event failed: API unavailable' : 'Discord event failed'
				log.withError(asError(error)).withMetadata({ discord_event: handler, guild_id: guild?.id }).error(message)
			}
		})
		deps.tasks.track(task)
	}

	async function registerCommands(ready: Client<true>) {
		const scope = deps.devGuildId ? 'guild' : 'global'
		const registered = deps.devGuildId
			? await ready.application.commands.set(COMMANDS, deps.devGuildId)
			: await ready.application.commands.set(COMMANDS)
		log
			.withMetadata({ scope, guild_id: deps.devGuildId, commands: [...registered.values()].map((c) => c.name) })
			.info('Slash commands registered')
	}

	/** Every guild the bot is in exists in the API, under its current name. */
	async function reconcile(ready: Client<true>) {
		const known = new Map((await api.listAllGuilds()).map((g) => [g.guildId, g]))
		const counts = { created: 0, renamed: 0, failed: 0 }
		for (const guild of ready.guilds.cache.values()) {
			if (!guild.available) continue // an outage hides the name; its GUILD_CREATE comes later
			try {
				const registered = known.get(guild.id)
				if (!registered) {
					await api.ensureGuild({ guildId: guild.id, guildName: guild.name })
					counts.created++
				} else if (registered.guildName !== guild.name) {
					await api.renameGuild(guild.id, guild.name)
					counts.renamed++
				}
			} catch (error) {
				counts.failed++
				log.withError(asError(error)).withMetadata({ guild_id: guild.id }).error('Guild reconcile failed')
			}
		}
		log
			.withMetadata({ cached: ready.guilds.cache.size, registered_before: known.size, ...counts })
			.info('Guilds reconciled')
	}

	async function ensureGuild(guild: Guild) {
		const result = await api.ensureGuild({ guildId: guild.id, guildName: guild.name })
		const message = result.outcome === 'created' ? 'Guild registered' : 'Guild already registered'
		log.withMetadata({ guild_id: guild.id, guild_name: guild.name }).info(message)
	}

	async function respond(interaction: ChatInputCommandInteraction, content: string) {
		if (interaction.deferred || interaction.replied) await interaction.editReply(content)
		else await interaction.reply({ content, flags: MessageFlags.Ephemeral })
	}

	async function configCommand(interaction: ChatInputCommandInteraction) {
		if (!interaction.inGuild()) return respond(interaction, 'Use /config inside a server.')
		await interaction.deferReply({ flags: MessageFlags.Ephemeral })
		const id = interaction.guildId
		try {
			const [guild, github, forum] = await Promise.all([
				api.getGuild(id, commandCall),
				api.getGithub(id, commandCall),
				api.getForum(id, commandCall),
			])
			await respond(interaction, formatConfig(guild, github, forum))
		} catch (error) {
			if (!(error instanceof ApiNotFoundError)) throw error
			log.withMetadata({ guild_id: id }).warn('Config requested for an unregistered guild')
			await respond(interaction, NOT_REGISTERED)
		}
	}

	async function pingCommand(interaction: ChatInputCommandInteraction) {
		await interaction.deferReply({ flags: MessageFlags.Ephemeral })
		let apiMs: number | undefined
		try {
			apiMs = await api.ping(commandCall)
		} catch (error) {
			log.withError(asError(error)).warn('API ping failed')
		}
		const reference = apiMs === undefined ? currentCorrelationId() : undefined
		await respond(interaction, formatPing(client.ws.ping, apiMs, reference))
	}

	async function onInteraction(interaction: Interaction) {
		if (!interaction.isChatInputCommand()) return
		try {
			if (interaction.commandName === 'config') await configCommand(interaction)
			else if (interaction.commandName === 'ping') await pingCommand(interaction)
			else await respond(interaction, 'Byte does not know this command (any more).')
		} catch (error) {
			// Tell the user before the wrapper logs: they get the ID to quote, never a stack.
			// (If Discord itself failed, this reply fails too; the wrapper still logs the cause.)
			await respond(interaction, failureMessage(currentCorrelationId() ?? 'unknown')).catch(() => undefined)
			throw error
		}
	}

	client.once(Events.ClientReady, (ready) =>
		handle('ready', null, async () => {
			try {
				await registerCommands(ready)
			} catch (error) {
				// The bot still serves events without fresh commands; reconcile regardless.
				metrics.handlerFailures.labels('ready').inc()
				log.withError(asError(error)).error('Slash command registration failed')
			}
			await reconcile(ready)
		}),
	)
	client.on(Events.GuildCreate, (guild) => handle('guildCreate', guild, () => ensureGuild(guild)))
	client.on(Events.GuildUpdate, (before, after) =>
		handle('guildUpdate', after, async () => {
			if (before.name === after.name) return
			try {
				await api.renameGuild(after.id, after.name)
				log.withMetadata({ guild_id: after.id, old_name: before.name, guild_name: after.name }).info('Guild renamed')
			} catch (error) {
				if (!(error instanceof ApiNotFoundError)) throw error
				await ensureGuild(after) // missed while the bot was away: register it now
			}
		}),
	)
	// discord.js emits guildDelete only when the bot left or was removed; an outage's
	// GUILD_DELETE (`unavailable: true`) arrives as guildUnavailable and must keep the settings.
	client.on(Events.GuildDelete, (guild) =>
		handle('guildDelete', guild, async () => {
			const result = await api.deleteGuild(guild.id)
			log.withMetadata({ guild_id: guild.id, result }).info('Guild removed')
		}),
	)
	client.on(Events.GuildUnavailable, (guild) =>
		handle('guildUnavailable', guild, async () => {
			log.withMetadata({ guild_id: guild.id }).warn('Guild unavailable (Discord outage); settings kept')
		}),
	)
	client.on(Events.InteractionCreate, (interaction) =>
		handle('interactionCreate', interaction.guild ?? (interaction.guildId ? { id: interaction.guildId } : null), () =>
			onInteraction(interaction),
		),
	)
	// Every dispatch is counted, handled or not; names outside a fixed list share `other`.
	;(client as unknown as NodeJS.EventEmitter).on(Events.Raw, (packet: { t?: string | null }) => {
		if (packet.t) metrics.discordEvents.labels(eventLabel(packet.t)).inc()
	})
}

function asError(value: unknown): Error {
	return value instanceof Error ? value : new Error(String(value))
}
