/** What every bench server shares: the seeded guild, the port, the database. */
import { loadApiConfig } from '../../src/config'
import { type Database, type DatabaseOptions, openDatabase } from '../../src/db/client'
import { guilds } from '../../src/db/schema'

export const SEEDED_GUILD_ID = '1234567890123456789'
/** Stands in for a correlation ID where a server has none, so bodies have the same length. */
export const FIXED_ID = '00000000-0000-4000-8000-000000000000'
export const NOT_FOUND_MESSAGE = 'No route matches this method and path'

export const config = loadApiConfig()

/** Opens, migrates and seeds the database of DATABASE_URL (idempotent across servers). */
export async function seededDatabase(options?: DatabaseOptions): Promise<Database> {
	const database = await openDatabase(config.database, options)
	await database.migrate()
	await database.db
		.insert(guilds)
		.values({ guildId: BigInt(SEEDED_GUILD_ID), guildName: 'Bench', syncLabel: 'sync' })
		.onConflictDoNothing()
	return database
}
