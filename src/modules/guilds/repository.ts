/** Data access for guilds and their settings: Drizzle queries only, no HTTP concerns. */
import { asc, count, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import {
	allowedUsersConfigs,
	forumConfigs,
	githubConfigs,
	type GuildRow,
	guilds,
	type NewGuildRow,
	soTagsConfigs,
} from '../../db/schema'

export type GuildPatch = Partial<Omit<NewGuildRow, 'guildId' | 'createdAt'>>
type GithubValues = Omit<typeof githubConfigs.$inferInsert, 'guildId' | 'createdAt' | 'updatedAt'>
type ForumValues = Omit<typeof forumConfigs.$inferInsert, 'guildId' | 'createdAt' | 'updatedAt'>

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * Locks the guild's row until the transaction ends; false when there is none. A set
 * replace is DELETE then INSERT: at READ COMMITTED two concurrent replaces both see the
 * old rows gone and both insert, and the second hits the primary key. Taking the guild
 * row `FOR UPDATE` first makes replaces of one guild wait for each other (the second then
 * sees the first's rows and deletes them), so identical parallel PUTs all succeed.
 */
async function lockGuild(tx: Tx, guildId: bigint): Promise<boolean> {
	const rows = await tx.select({ id: guilds.guildId }).from(guilds).where(eq(guilds.guildId, guildId)).for('update')
	return rows.length > 0
}

export function createGuildRepository(db: Db) {
	const exists = async (guildId: bigint) =>
		(await db.select({ id: guilds.guildId }).from(guilds).where(eq(guilds.guildId, guildId))).length > 0

	return {
		exists,

		async insert(values: NewGuildRow): Promise<GuildRow> {
			const [row] = await db.insert(guilds).values(values).returning()
			return row as GuildRow
		},

		async find(guildId: bigint): Promise<GuildRow | undefined> {
			const [row] = await db.select().from(guilds).where(eq(guilds.guildId, guildId))
			return row
		},

		async list(limit: number, offset: number): Promise<{ rows: GuildRow[]; total: number }> {
			const [rows, [totals]] = await Promise.all([
				db.select().from(guilds).orderBy(asc(guilds.guildId)).limit(limit).offset(offset),
				db.select({ total: count() }).from(guilds),
			])
			return { rows, total: totals?.total ?? 0 }
		},

		async update(guildId: bigint, patch: GuildPatch): Promise<GuildRow | undefined> {
			const [row] = await db
				.update(guilds)
				.set({ ...patch, updatedAt: new Date() })
				.where(eq(guilds.guildId, guildId))
				.returning()
			return row
		},

		async remove(guildId: bigint): Promise<boolean> {
			const rows = await db.delete(guilds).where(eq(guilds.guildId, guildId)).returning({ id: guilds.guildId })
			return rows.length > 0
		},

		async findGithub(guildId: bigint) {
			const [row] = await db.select().from(githubConfigs).where(eq(githubConfigs.guildId, guildId))
			return row
		},

		/** Insert-or-replace; a missing guild surfaces as a foreign-key violation. */
		async upsertGithub(guildId: bigint, values: GithubValues) {
			const [row] = await db
				.insert(githubConfigs)
				.values({ guildId, ...values })
				.onConflictDoUpdate({ target: githubConfigs.guildId, set: { ...values, updatedAt: new Date() } })
				.returning()
			return row
		},

		async findForum(guildId: bigint) {
			const [row] = await db.select().from(forumConfigs).where(eq(forumConfigs.guildId, guildId))
			return row
		},

		async upsertForum(guildId: bigint, values: ForumValues) {
			const [row] = await db
				.insert(forumConfigs)
				.values({ guildId, ...values })
				.onConflictDoUpdate({ target: forumConfigs.guildId, set: { ...values, updatedAt: new Date() } })
				.returning()
			return row
		},

		async listTags(guildId: bigint): Promise<string[]> {
			const rows = await db
				.select({ tagName: soTagsConfigs.tagName })
				.from(soTagsConfigs)
				.where(eq(soTagsConfigs.guildId, guildId))
				.orderBy(asc(soTagsConfigs.tagName))
			return rows.map((r) => r.tagName)
		},

		/** Replaces the whole tag set atomically; false when the guild does not exist. */
		replaceTags: (guildId: bigint, tagNames: string[]): Promise<boolean> =>
			db.transaction(async (tx) => {
				if (!(await lockGuild(tx, guildId))) return false
				await tx.delete(soTagsConfigs).where(eq(soTagsConfigs.guildId, guildId))
				if (tagNames.length) await tx.insert(soTagsConfigs).values(tagNames.map((tagName) => ({ guildId, tagName })))
				return true
			}),

		async listAllowedUsers(guildId: bigint): Promise<bigint[]> {
			const rows = await db
				.select({ userId: allowedUsersConfigs.userId })
				.from(allowedUsersConfigs)
				.where(eq(allowedUsersConfigs.guildId, guildId))
				.orderBy(asc(allowedUsersConfigs.userId))
			return rows.map((r) => r.userId)
		},

		/** Replaces the whole allowed-user set atomically; false when the guild does not exist. */
		replaceAllowedUsers: (guildId: bigint, userIds: bigint[]): Promise<boolean> =>
			db.transaction(async (tx) => {
				if (!(await lockGuild(tx, guildId))) return false
				await tx.delete(allowedUsersConfigs).where(eq(allowedUsersConfigs.guildId, guildId))
				if (userIds.length) await tx.insert(allowedUsersConfigs).values(userIds.map((userId) => ({ guildId, userId })))
				return true
			}),
	}
}

export type GuildRepository = ReturnType<typeof createGuildRepository>
