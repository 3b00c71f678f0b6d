/**
 * Real PostgreSQL for tests: each test file gets its own throw-away database on the
 * server named by TEST_DATABASE_URL (or DATABASE_URL when it is a postgres URL), so
 * runs never collide. In CI a missing server fails the run; elsewhere the tests skip.
 */
import postgres from 'postgres'

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export function adminUrl(): string {
	const fromEnv = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
	return fromEnv && /^postgres(ql)?:\/\//.test(fromEnv) ? fromEnv : DEFAULT_URL
}

export async function postgresAvailable(): Promise<boolean> {
	const sql = postgres(adminUrl(), { max: 1, connect_timeout: 2, onnotice: () => {} })
	try {
		await sql`select 1`
		return true
	} catch {
		return false
	} finally {
		await sql.end({ timeout: 1 })
	}
}

/**
 * Resolves whether PostgreSQL tests run. Under CI=true an unreachable server throws
 * (the run must fail, not skip); on a laptop it prints why the tests are skipped.
 */
export async function requirePostgres(suite: string): Promise<boolean> {
	if (await postgresAvailable()) return true
	const message = `${suite}: PostgreSQL is not reachable at ${adminUrl().replace(/:[^:@/]*@/, ':***@')}`
	if (process.env.CI === 'true') throw new Error(`${message} (required in CI)`)
	console.warn(`${message}; skipping (set TEST_DATABASE_URL or start PostgreSQL)`)
	return false
}

/** Creates a uniquely named database; `drop()` removes it (forcing out connections). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
	const name = `byte_test_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
	const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
	await admin.unsafe(`create database "${name}"`)
	const url = new URL(adminUrl())
	url.pathname = `/${name}`
	return {
		url: url.toString(),
		name,
		async drop() {
			await admin.unsafe(`drop database if exists "${name}" with (force)`)
			await admin.end({ timeout: 2 })
		},
	}
}
