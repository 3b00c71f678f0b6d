/**
 * Gateway and REST payloads shaped like Discord's (API v10), with just the fields discord.js
 * v14 reads when it builds its structures. Shapes follow discord-api-types
 * (`GatewayReadyDispatchData`, `APIGuild`, `APIChatInputApplicationCommandGuildInteraction`,
 * `APIMessage`).
 */

const DISCORD_EPOCH = 1_420_070_400_000
let last = { ms: 0, increment: 0 }
let explicitIncrement = 0

/**
 * A fresh, valid snowflake: timestamp bits (`at`, default now) and an increment. Without `at`
 * the IDs are unique and increasing even when thousands are made in one millisecond (the
 * timestamp moves on when the 12-bit increment runs out).
 */
export function snowflake(at?: number): string {
	if (at !== undefined) {
		explicitIncrement = (explicitIncrement + 1) & 0xfff
		return String((BigInt(at - DISCORD_EPOCH) << 22n) | BigInt(explicitIncrement))
	}
	const ms = Date.now() - DISCORD_EPOCH
	if (ms > last.ms) last = { ms, increment: 0 }
	else if (++last.increment > 0xfff) last = { ms: last.ms + 1, increment: 0 }
	return String((BigInt(last.ms) << 22n) | BigInt(last.increment))
}

/** The shard a guild lives on: `(guild_id >> 22) % shard_count`, as Discord routes it. */
export function shardOf(guildId: string, shardCount: number): number {
	return Number((BigInt(guildId) >> 22n) % BigInt(shardCount))
}

/** A snowflake (a guild ID) that lives on `shard` of `shardCount`, from the last few milliseconds. */
export function snowflakeOnShard(shard: number, shardCount: number): string {
	const now = Date.now() - DISCORD_EPOCH
	const ms = now - ((((now - shard) % shardCount) + shardCount) % shardCount)
	return snowflake(ms + DISCORD_EPOCH)
}

/**
 * Guild names as real servers have them: emoji (ZWJ sequences, flags, skin tones), right-to-left
 * scripts, combining marks, CJK. Each stays within 100 UTF-16 code units, what the API accepts.
 */
export const UNICODE_GUILD_NAMES = [
	'🐍 Python 🇧🇷 Brasil 👩🏽‍💻👨🏿‍💻 comunidade',
	'مجتمع المطورين العرب 🌙 بايثون',
	'קהילת המפתחים 🕎 עברית',
	'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ ̸c̷o̴m̶b̵i̸n̷i̴n̶g̵',
	'開発者コミュニティ 🎌 日本語 ✨',
	'हिन्दी डेवलपर्स 🪔 समुदाय',
	'🏳️‍🌈🏳️‍⚧️ Ünïcödé Çafé — Ελληνικά · Русский',
	'👨‍👩‍👧‍👦🧑🏻‍🤝‍🧑🏾 Family server 🫶🏼',
] as const

/** A name with `emoji` emoji (2 UTF-16 units each): 60–100 of them is more than the API accepts today. */
export function emojiGuildName(emoji: number): string {
	const palette = ['🐍', '🚀', '🔥', '🌈', '🎉', '🦀', '🐘', '🍵', '🧪', '📦']
	return Array.from({ length: emoji }, (_, i) => palette[i % palette.length]).join('')
}

/** The i-th name of a mixed-script series, unique per i and within 100 UTF-16 units. */
export function unicodeGuildName(i: number): string {
	return `${UNICODE_GUILD_NAMES[i % UNICODE_GUILD_NAMES.length]} #${i}`
}

/**
 * `count` guilds as a real bot has them: created over the last ~2 years (about 100 minutes
 * apart), so their IDs spread evenly over any shard count, with mixed-script names.
 */
export function spreadGuilds(count: number): GuildSpec[] {
	const now = Date.now()
	return Array.from({ length: count }, (_, i) => ({ id: snowflake(now - i * 6_007_003), name: unicodeGuildName(i) }))
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
export function readyPayload(
	identity: FakeIdentity,
	guildIds: string[],
	sessionId: string,
	resumeUrl: string,
	shard: [number, number] = [0, 1],
) {
	return {
		v: 10,
		user: botUser(identity),
		guilds: guildIds.map((id) => ({ id, unavailable: true })),
		session_id: sessionId,
		resume_gateway_url: resumeUrl,
		shard,
		application: { id: identity.applicationId, flags: 0 },
	}
}

export interface GuildSpec {
	id: string
	name: string
	ownerId?: string
	/** In a Discord outage: listed in READY, then GUILD_DELETE `unavailable: true` instead of GUILD_CREATE. */
	unavailable?: boolean
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
	/** How long ago the member ran the command (the interaction ID's timestamp); default now. */
	createdAgoMs?: number
}

/** INTERACTION_CREATE for a chat-input (slash) command used in a guild. */
export function commandInteractionPayload(identity: FakeIdentity, spec: CommandInteractionSpec) {
	const userId = spec.userId ?? '80351110224678913'
	return {
		id: spec.createdAgoMs === undefined ? snowflake() : snowflake(Date.now() - spec.createdAgoMs),
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
