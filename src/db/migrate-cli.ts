/** `bun run db:migrate`: applies migrations to the database named by DATABASE_URL, then exits. */
import { ConfigError, describeDatabase, parseDatabaseUrl } from '../config'
import { openDatabase } from './client'
import { DirectoryLockedError } from './dir-lock'

try {
	const target = parseDatabaseUrl(process.env.DATABASE_URL)
	const database = await openDatabase(target)
	await database.migrate()
	await database.close()
	process.stdout.write(`migrations applied to ${describeDatabase(target)}\n`)
} catch (error) {
	const known = error instanceof ConfigError || error instanceof DirectoryLockedError
	const message = known ? error.message : `migration failed: ${(error as Error).message}`
	process.stdout.write(`${message}\n`)
	process.exit(1)
}
