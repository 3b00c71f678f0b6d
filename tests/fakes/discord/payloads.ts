/**
 * Gateway and REST payloads shaped like Discord's (API v10), with just the fields discord.js
 * v14 reads when it builds its structures. Shapes follow discord-api-types
 * (`GatewayReadyDispatchData`, `APIGuild`, `APIChatInputApplicationCommandGuildInteraction`,
 * `APIMessage`).
 */

const DISCORD_EPOCH = 1_420_070_400_000n
let increment = 0n

/** A fresh, valid snowflake (timestamp bits + a process-wide increment). */
export function snowflake(): string {
	increment = (increment + 1n) & 0xfffn
	return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment)
}

export interface FakeIdentity {
	applicationId: string
	botUserId: string
	botUsername: string
}

export function botUser(identity: FakeIdentity) {
	return {
		id: identity.botUserId,
		username: identity.botUsername,
		discriminator: '0',
		global_name: null,
		avatar: null,
		bot: true,
		flags: 0,
		verified: true,
		mfa_enabled: false,
	}
}

/** The READY dispatch: guilds arrive as unavailable stubs, then one GUILD_CREATE each. */
export function readyPayload(identity: FakeIdentity, guildIds: string[], sessionId: string, resumeUrl: string) {
	return {
		v: 10,
		user: botUser(identity),
		guilds: guildIds.map((id) => ({ id, unavailable: true })),
		session_id: sessionId,
		resume_gateway_url: resumeUrl,
		shard: [0, 1],
		application: { id: identity.applicationId, flags: 0 },
	}
}

export interface GuildSpec {
	id: string
	name: string
	ownerId?: string
}

/** A full GUILD_CREATE payload for an available guild (`channels` present marks it available). */
export function guildPayload(guild: GuildSpec) {
	return {
		id: guild.id,
		name: guild.name,
		icon: null,
		splash: null,
		discovery_splash: null,
		owner_id: guild.ownerId ?? '80351110224678912',
		afk_channel_id: null,
		afk_timeout: 300,
		verification_level: 0,
		default_message_notifications: 0,
		explicit_content_filter: 0,
		roles: [
			{
				id: guild.id,
				name: '@everyone',
				color: 0,
				hoist: false,
				icon: null,
				unicode_emoji: null,
				position: 0,
				permissions: '1071698660929',
				managed: false,
				mentionable: false,
				flags: 0,
			},
		],
		emojis: [],
		stickers: [],
		features: [],
		mfa_level: 0,
		application_id: null,
		system_channel_id: null,
		system_channel_flags: 0,
		rules_channel_id: null,
		vanity_url_code: null,
		description: null,
		banner: null,
		premium_tier: 0,
		premium_subscription_count: 0,
		preferred_locale: 'en-US',
		public_updates_channel_id: null,
		nsfw_level: 0,
		premium_progress_bar_enabled: false,
		safety_alerts_channel_id: null,
		joined_at: new Date().toISOString(),
		large: false,
		unavailable: false,
		member_count: 1,
		voice_states: [],
		members: [],
		channels: [],
		threads: [],
		presences: [],
		stage_instances: [],
		guild_scheduled_events: [],
		soundboard_sounds: [],
	}
}

/** GUILD_UPDATE carries the guild object without the GUILD_CREATE-only extras. */
export function guildUpdatePayload(guild: GuildSpec) {
	const { joined_at, large, unavailable, member_count, voice_states, members, channels, threads, presences, ...rest } =
		guildPayload(guild)
	return rest
}

/**
 * GUILD_DELETE: `unavailable: true` means an outage (the bot is still a member); without it
 * the bot was removed from the guild.
 */
export function guildDeletePayload(guildId: string, unavailable = false) {
	return unavailable ? { id: guildId, unavailable: true } : { id: guildId }
}

export interface CommandInteractionSpec {
	guildId: string
	commandName: string
	commandId?: string
	userId?: string
	channelId?: string
}

/** INTERACTION_CREATE for a chat-input (slash) command used in a guild. */
export function commandInteractionPayload(identity: FakeIdentity, spec: CommandInteractionSpec) {
	const userId = spec.userId ?? '80351110224678913'
	return {
		id: snowflake(),
		application_id: identity.applicationId,
		type: 2, // InteractionType.ApplicationCommand
		data: { id: spec.commandId ?? snowflake(), name: spec.commandName, type: 1, guild_id: spec.guildId },
		guild: { id: spec.guildId, locale: 'en-US', features: [] },
		guild_id: spec.guildId,
		channel_id: spec.channelId ?? snowflake(),
		member: {
			user: { id: userId, username: 'operator', discriminator: '0', global_name: 'Operator', avatar: null },
			roles: [],
			joined_at: new Date().toISOString(),
			deaf: false,
			mute: false,
			flags: 0,
			pending: false,
			nick: null,
			avatar: null,
			premium_since: null,
			communication_disabled_until: null,
			permissions: '2251799813685247',
		},
		token: `interaction-token-${snowflake()}`,
		version: 1,
		app_permissions: '2251799813685247',
		locale: 'en-US',
		guild_locale: 'en-US',
		entitlements: [],
		authorizing_integration_owners: { '0': spec.guildId },
		context: 0,
		attachment_size_limit: 8_388_608,
	}
}

/** The message object Discord returns for an interaction response (edited or follow-up). */
export function webhookMessagePayload(identity: FakeIdentity, channelId: string, body: Record<string, unknown>) {
	return {
		id: snowflake(),
		type: 20, // MessageType.ChatInputCommand
		channel_id: channelId,
		author: botUser(identity),
		content: typeof body.content === 'string' ? body.content : '',
		timestamp: new Date().toISOString(),
		edited_timestamp: null,
		tts: false,
		mention_everyone: false,
		mentions: [],
		mention_roles: [],
		attachments: [],
		embeds: Array.isArray(body.embeds) ? body.embeds : [],
		components: [],
		pinned: false,
		flags: typeof body.flags === 'number' ? body.flags : 0,
		webhook_id: identity.applicationId,
		application_id: identity.applicationId,
	}
}
