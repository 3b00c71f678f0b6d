/**
 * The database schema, after the original Byte models. Discord snowflakes are
 * 64-bit integers stored as `bigint` and handled as JS `bigint` (mode: 'bigint')
 * so no precision is lost; the HTTP layer carries them as decimal strings.
 * Every settings table references its guild with ON DELETE CASCADE.
 */
import { bigint, boolean, integer, pgTable, primaryKey, text, timestamp, varchar } from 'drizzle-orm/pg-core'

const snowflake = (name: string) => bigint(name, { mode: 'bigint' })
const timestamps = {
	createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
	updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
}

export const guilds = pgTable('guild', {
	guildId: snowflake('guild_id').primaryKey(),
	guildName: varchar('guild_name', { length: 100 }).notNull(),
	prefix: varchar('prefix', { length: 5 }).notNull().default('!'),
	helpChannelId: snowflake('help_channel_id'),
	showcaseChannelId: snowflake('showcase_channel_id'),
	syncLabel: varchar('sync_label', { length: 100 }),
	issueLinking: boolean('issue_linking').notNull().default(false),
	commentLinking: boolean('comment_linking').notNull().default(false),
	pepLinking: boolean('pep_linking').notNull().default(false),
	...timestamps,
})

export const githubConfigs = pgTable('github_config', {
	guildId: snowflake('guild_id')
		.primaryKey()
		.references(() => guilds.guildId, { onDelete: 'cascade' }),
	discussionSync: boolean('discussion_sync').notNull().default(false),
	githubOrganization: varchar('github_organization', { length: 100 }),
	githubRepository: varchar('github_repository', { length: 100 }),
	...timestamps,
})

export const soTagsConfigs = pgTable(
	'so_tags_config',
	{
		guildId: snowflake('guild_id')
			.notNull()
			.references(() => guilds.guildId, { onDelete: 'cascade' }),
		tagName: varchar('tag_name', { length: 50 }).notNull(),
		createdAt: timestamps.createdAt,
	},
	(table) => [primaryKey({ columns: [table.guildId, table.tagName] })],
)

export const allowedUsersConfigs = pgTable(
	'allowed_users_config',
	{
		guildId: snowflake('guild_id')
			.notNull()
			.references(() => guilds.guildId, { onDelete: 'cascade' }),
		userId: snowflake('user_id').notNull(),
		createdAt: timestamps.createdAt,
	},
	(table) => [primaryKey({ columns: [table.guildId, table.userId] })],
)

export const forumConfigs = pgTable('forum_config', {
	guildId: snowflake('guild_id')
		.primaryKey()
		.references(() => guilds.guildId, { onDelete: 'cascade' }),
	helpForum: boolean('help_forum').notNull().default(false),
	helpForumCategory: varchar('help_forum_category', { length: 100 }),
	helpThreadAutoClose: boolean('help_thread_auto_close').notNull().default(false),
	helpThreadAutoCloseDays: integer('help_thread_auto_close_days'),
	helpThreadNotify: boolean('help_thread_notify').notNull().default(false),
	helpThreadNotifyRoles: text('help_thread_notify_roles').array().notNull().default([]),
	helpThreadNotifyDays: integer('help_thread_notify_days'),
	helpThreadSync: boolean('help_thread_sync').notNull().default(false),
	showcaseForum: boolean('showcase_forum').notNull().default(false),
	showcaseForumCategory: varchar('showcase_forum_category', { length: 100 }),
	showcaseThreadAutoClose: boolean('showcase_thread_auto_close').notNull().default(false),
	showcaseThreadAutoCloseDays: integer('showcase_thread_auto_close_days'),
	...timestamps,
})

export type GuildRow = typeof guilds.$inferSelect
export type NewGuildRow = typeof guilds.$inferInsert
export type GithubConfigRow = typeof githubConfigs.$inferSelect
export type ForumConfigRow = typeof forumConfigs.$inferSelect
