/**
 * One slash command as users and operators see it (README "The bot", "Metrics", "Logs"): the
 * first response (reply or defer) timed from the interaction's creation against Discord's 3 s
 * deadline, a response Discord refused because the interaction is gone counted as expired,
 * and one `Command completed` line with the outcome and both durations.
 */
import { type ChatInputCommandInteraction, DiscordAPIError, MessageFlags, RESTJSONErrorCodes } from 'discord.js'
import type { LogLayer } from 'loglayer'
import { COMMANDS } from './commands'
import { eventExemplar } from './event-trace'
import type { BotMetrics } from './metrics'

/** Discord drops an interaction that got no first response within 3 s (error 10062 after that). */
export const ACK_DEADLINE_MS = 3_000

/** The `command` label values: the registered commands, and `other` for anything else. */
export const COMMAND_LABELS = [...COMMANDS.map((command) => command.name), 'other'] as const
const REGISTERED: ReadonlySet<string> = new Set(COMMANDS.map((command) => command.name))

export function commandLabel(name: string): string {
	return REGISTERED.has(name) ? name : 'other'
}

/** The first response could not be given in time, or Discord no longer knew the interaction. */
export class InteractionExpiredError extends Error {
	override name = 'InteractionExpiredError'
	constructor(
		readonly ageMs: number,
		readonly refusedByDiscord: boolean,
	) {
		super(
			refusedByDiscord
				? `Discord refused the first response as the interaction is gone (10062), ${ageMs} ms after it was created`
				: `The interaction is ${ageMs} ms old, past Discord's ${ACK_DEADLINE_MS} ms window; not answering`,
		)
	}
}

export type CommandOutcome = 'success' | 'error'

export interface CommandDeps {
	metrics: BotMetrics
	/** The `bot.events` logger. */
	log: LogLayer
	/** Epoch milliseconds, to compare with the interaction's snowflake timestamp (default `Date.now`). */
	now?: () => number
}

export type CommandRun = ReturnType<typeof startCommand>

/** Starts timing a command as it arrives; call `finish` once its final reply was sent (or failed). */
export function startCommand(interaction: ChatInputCommandInteraction, deps: CommandDeps) {
	const { metrics } = deps
	const now = deps.now ?? Date.now
	const command = commandLabel(interaction.commandName)
	const received = performance.now()
	let ackMs: number | undefined
	let finished = false
	const age = () => Math.max(0, now() - interaction.createdTimestamp)

	/** Sends the first response unless the window has passed; counts what Discord refused as gone. */
	async function first(send: () => Promise<unknown>): Promise<void> {
		const before = age()
		if (before >= ACK_DEADLINE_MS) {
			metrics.interactionsExpired.labels(command).inc()
			throw new InteractionExpiredError(before, false)
		}
		try {
			await send()
		} catch (error) {
			if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownInteraction) {
				metrics.interactionsExpired.labels(command).inc()
				throw new InteractionExpiredError(age(), true)
			}
			throw error
		}
		ackMs = age()
		metrics.interactionAck.labels(command).observe(ackMs / 1000, eventExemplar())
	}

	return {
		command,
		/** Acknowledges now ("Byte is thinking…"), for commands that wait on the API. */
		defer: () => first(() => interaction.deferReply({ flags: MessageFlags.Ephemeral })),
		/** The reply: the first response, or the edit of a deferred one. */
		async respond(content: string): Promise<void> {
			if (interaction.deferred || interaction.replied) await interaction.editReply(content)
			else await first(() => interaction.reply({ flags: MessageFlags.Ephemeral, content }))
		},
		/** Counts and logs the command once; later calls do nothing. */
		finish(outcome: CommandOutcome, shardId: number): void {
			if (finished) return
			finished = true
			const seconds = (performance.now() - received) / 1000
			metrics.commands.labels(command, outcome).inc()
			metrics.commandDuration.labels(command).observe(seconds, eventExemplar())
			deps.log
				.withMetadata({
					command,
					interaction_id: interaction.id,
					guild_id: interaction.guildId,
					shard_id: shardId,
					outcome,
					duration_ms: Math.round(seconds * 1000),
					ack_ms: ackMs ?? null,
				})
				.info('Command completed')
		},
	}
}
