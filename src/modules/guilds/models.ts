/**
 * Request and response shapes for the guild API, as Elysia `t` models: they validate
 * input and are the single source of the OpenAPI document. Snowflakes travel as
 * decimal strings because they exceed JavaScript's safe integers.
 */
import { t } from 'elysia'

/** 1–19 digits, no leading zero; the upper bound (2^63-1) is checked in `parseSnowflake`. */
export const SNOWFLAKE_PATTERN = '^[1-9][0-9]{0,18}$'
const MAX_SNOWFLAKE = (1n << 63n) - 1n

export const Snowflake = t.String({
	pattern: SNOWFLAKE_PATTERN,
	description: 'Discord snowflake: a positive 64-bit integer as a decimal string',
	examples: ['1234567890123456789'],
})
const NullableSnowflake = t.Union([Snowflake, t.Null()])

/**
 * Free text counted as Discord counts it: 1 to `max` Unicode code points (an emoji, a CJK
 * character or a combining mark is one each; JavaScript's `length` would count UTF-16
 * units and take 60 emoji for 120), never only whitespace, and well-formed (a lone
 * surrogate, which JSON's `\ud800` can carry, cannot be stored as UTF-8). As a pattern,
 * so validation and the OpenAPI document say the same thing: without the `u` flag each
 * alternative is one code point, a surrogate pair or any other UTF-16 unit.
 */
export const textPattern = (max: number) =>
	`^(?!\\s*$)(?:[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]|[^\\uD800-\\uDFFF]){1,${max}}$`
/** What a 422 says of text that does not fit {@link textPattern}. */
export const textError = (max: number) => `must be 1–${max} Unicode code points, not only whitespace`
const Name = (max: number, examples?: string[]) =>
	t.String({
		pattern: textPattern(max),
		error: textError(max),
		description: `1–${max} Unicode code points (emoji and every script welcome), not only whitespace`,
		...(examples ? { examples } : {}),
	})
const NullableName = (max: number) => t.Union([Name(max), t.Null()])
const Days = t.Union([t.Integer({ minimum: 1, maximum: 365 }), t.Null()])

/** The snowflake as a bigint, or null when it is not a positive 64-bit integer. */
export function parseSnowflake(value: string): bigint | null {
	if (!new RegExp(SNOWFLAKE_PATTERN).test(value)) return null
	const n = BigInt(value)
	return n <= MAX_SNOWFLAKE ? n : null
}

export const GuildIdParams = t.Object({ guildId: Snowflake })

const guildSettings = {
	guildName: Name(100, ['Litestar 🚀']),
	prefix: t.String({
		pattern: textPattern(5),
		error: textError(5),
		description: "Command prefix: 1–5 code points, not only whitespace; '!' when not given at creation",
	}),
	helpChannelId: NullableSnowflake,
	showcaseChannelId: NullableSnowflake,
	syncLabel: NullableName(100),
	issueLinking: t.Boolean(),
	commentLinking: t.Boolean(),
	pepLinking: t.Boolean(),
}

export const Guild = t.Object(
	{
		guildId: Snowflake,
		...guildSettings,
		createdAt: t.String({ format: 'date-time' }),
		updatedAt: t.String({ format: 'date-time' }),
	},
	{ title: 'Guild' },
)

export const GuildCreate = t.Object(
	{
		guildId: Snowflake,
		guildName: guildSettings.guildName,
		prefix: t.Optional(guildSettings.prefix),
		helpChannelId: t.Optional(NullableSnowflake),
		showcaseChannelId: t.Optional(NullableSnowflake),
		syncLabel: t.Optional(guildSettings.syncLabel),
		issueLinking: t.Optional(t.Boolean()),
		commentLinking: t.Optional(t.Boolean()),
		pepLinking: t.Optional(t.Boolean()),
	},
	{ additionalProperties: false },
)

export const GuildUpdate = t.Partial(t.Object(guildSettings), { additionalProperties: false, minProperties: 1 })

export const GuildList = t.Object({
	items: t.Array(Guild),
	total: t.Integer({ minimum: 0 }),
	limit: t.Integer(),
	offset: t.Integer(),
})

/** A plain decimal integer in a query string: no sign, hex, exponent or blanks (`Number()` takes all four). */
export const DECIMAL_PATTERN = '^[0-9]{1,10}$'
const DECIMAL_ERROR = 'must be a plain decimal whole number'
export const LIMIT = { min: 1, max: 100, fallback: 50 } as const
export const OFFSET = { min: 0, max: 1_000_000_000, fallback: 0 } as const

// Other query parameters (a cache-buster such as `?_=1`) are ignored, as on every route.
export const GuildListQuery = t.Object(
	{
		limit: t.Optional(
			t.String({
				pattern: DECIMAL_PATTERN,
				error: DECIMAL_ERROR,
				description: 'Page size, 1–100 (default 50)',
				examples: ['50'],
			}),
		),
		offset: t.Optional(
			t.String({
				pattern: DECIMAL_PATTERN,
				error: DECIMAL_ERROR,
				description: 'Guilds to skip, 0–1000000000 (default 0)',
				examples: ['0'],
			}),
		),
	},
	{ additionalProperties: true },
)

export const GithubConfig = t.Object(
	{
		githubOrganization: NullableName(100),
		githubRepository: NullableName(100),
		discussionSync: t.Boolean(),
	},
	{ additionalProperties: false },
)

export const SoTag = t.Object(
	{ tagName: t.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9+#.\\-]+$' }) },
	{ additionalProperties: false },
)
export const SoTags = t.Array(SoTag, { maxItems: 100 })

export const AllowedUser = t.Object({ userId: Snowflake }, { additionalProperties: false })
export const AllowedUsers = t.Array(AllowedUser, { maxItems: 1000 })

export const ForumConfig = t.Object(
	{
		helpForum: t.Boolean(),
		helpForumCategory: NullableName(100),
		helpThreadAutoClose: t.Boolean(),
		helpThreadAutoCloseDays: Days,
		helpThreadNotify: t.Boolean(),
		helpThreadNotifyRoles: t.Array(Snowflake, { maxItems: 50 }),
		helpThreadNotifyDays: Days,
		helpThreadSync: t.Boolean(),
		showcaseForum: t.Boolean(),
		showcaseForumCategory: NullableName(100),
		showcaseThreadAutoClose: t.Boolean(),
		showcaseThreadAutoCloseDays: Days,
	},
	{ additionalProperties: false },
)

export type GuildDto = typeof Guild.static
export type GuildCreateDto = typeof GuildCreate.static
export type GuildUpdateDto = typeof GuildUpdate.static
export type GithubConfigDto = typeof GithubConfig.static
export type SoTagDto = typeof SoTag.static
export type AllowedUserDto = typeof AllowedUser.static
export type ForumConfigDto = typeof ForumConfig.static
