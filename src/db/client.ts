/**
 * Opens the database selected by DATABASE_URL: PostgreSQL through postgres.js, or
 * embedded PGlite (in memory or on disk). Both are driven by the same Drizzle code.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { type DatabaseTarget, describeDatabase } from '../config'
import { lockDirectory } from './dir-lock'
import { type DriverObserver, instrumentPglite, instrumentPostgres } from './instrument'
import { createMemoryPglite } from './pglite-memory'
import * as schema from './schema'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Database {
	readonly db: Db
	readonly kind: 'postgres' | 'pglite'
	/** Where the data lives, with any password masked. */
	readonly description: string
	/** `SELECT 1` bounded by `timeoutMs`; false when the database does not answer. */
	ping(timeoutMs?: number): Promise<boolean>
	/** Applies pending migrations from `drizzle/` (idempotent). */
	migrate(): Promise<void>
	/** Closes the pool: waits up to `timeoutMs` (default 5 s) for running queries, then cuts connections. */
	close(timeoutMs?: number): Promise<void>
}

export interface DatabaseOptions {
	/** Called by Drizzle once per statement it is about to run (SQL text and parameters). */
	logQuery?: DrizzleLogger['logQuery']
	/** Called by the driver when any statement finishes, with its duration and error. */
	observeDriver?: DriverObserver
	/** postgres.js pool size (default 10). */
	poolMax?: number
	/** Milliseconds to wait for a new PostgreSQL connection (default 3000). */
	connectTimeoutMs?: number
	/** Server-side statement timeout in ms (default 5000). */
	statementTimeoutMs?: number
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url))
// Serialises migrations when several API replicas start against one PostgreSQL.
const MIGRATION_LOCK_ID = 0x6279_7465

const noop: DriverObserver = () => {}

export async function openDatabase(target: DatabaseTarget, options: DatabaseOptions = {}): Promise<Database> {
	const logger: DrizzleLogger | undefined = options.logQuery ? { logQuery: options.logQuery } : undefined
	const observe = options.observeDriver ?? noop
	const description = describeDatabase(target)

	if (target.kind === 'postgres') {
		const client = postgres(target.url, {
			max: options.poolMax ?? 10,
			connect_timeout: (options.connectTimeoutMs ?? 3000) / 1000,
			idle_timeout: 30,
			max_lifetime: 60 * 30,
			connection: { statement_timeout: options.statementTimeoutMs ?? 5000, application_name: 'byte-api' },
			// Server NOTICEs (e.g. "schema already exists, skipping") would otherwise go to console.log.
			onnotice: () => {},
		})
		const db = drizzlePostgres(instrumentPostgres(client, observe), { schema, logger })
		return {
			db: db as unknown as Db,
			kind: 'postgres',
			description,
			ping: (timeoutMs) => ping(db as unknown as Db, timeoutMs),
			async migrate() {
				const lock = await client.reserve()
				try {
					await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`
					await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER })
				} finally {
					await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch(() => {})
					lock.release()
				}
			},
			close: (timeoutMs = 5000) => client.end({ timeout: timeoutMs / 1000 }),
		}
	}

	if (target.kind === 'pglite-disk') {
		mkdirSync(target.path, { recursive: true })
		// Throws DirectoryLockedError while another process has the directory open.
		lockDirectory(target.path)
	}
	const client = instrumentPglite(
		target.kind === 'pglite-disk' ? await PGlite.create(target.path) : await createMemoryPglite(),
		observe,
	)
	const db = drizzlePglite(client, { schema, logger })
	return {
		db: db as unknown as Db,
		kind: 'pglite',
		description,
		ping: (timeoutMs) => ping(db as unknown as Db, timeoutMs),
		migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
		close: () => client.close(),
	}
}

async function ping(db: Db, timeoutMs = 2000): Promise<boolean> {
	let timer: ReturnType<typeof setTimeout> | undefined
	const timeout = new Promise<false>((resolve) => {
		timer = setTimeout(() => resolve(false), timeoutMs)
	})
	try {
		return await Promise.race([db.execute(sql`select 1`).then(() => true as const), timeout])
	} catch {
		return false
	} finally {
		clearTimeout(timer)
	}
}
