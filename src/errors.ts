/**
 * Errors that carry their HTTP status and a stable machine-readable code. One error
 * handler (src/server/errors.ts) turns them into `{"error":{code,message,correlation_id}}`.
 */
export class AppError extends Error {
	override name = 'AppError'
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		options?: { cause?: unknown },
	) {
		super(message, options)
	}
}

export const notFound = (message: string) => new AppError(404, 'NOT_FOUND', message)
export const conflict = (message: string) => new AppError(409, 'CONFLICT', message)
export const invalid = (message: string) => new AppError(422, 'VALIDATION_FAILED', message)
export const unauthorized = (message: string) => new AppError(401, 'UNAUTHORIZED', message)
export const payloadTooLarge = (limit: number) =>
	new AppError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes`)
export const databaseUnavailable = (cause: unknown) =>
	new AppError(503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly', { cause })

/**
 * A database operation outlived its deadline without an answer (hung server, network
 * partition): the client gives up even though no driver timeout fired.
 */
export class DatabaseTimeoutError extends Error {
	override name = 'DatabaseTimeoutError'
	readonly code = 'DATABASE_TIMEOUT'
	constructor(readonly timeoutMs: number) {
		super(`No answer from the database within ${timeoutMs} ms`)
	}
}

/**
 * Settles like `work`, or rejects with DatabaseTimeoutError after `timeoutMs`. The work
 * itself keeps running (a driver query cannot be taken back); its late outcome is ignored.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number | undefined): Promise<T> {
	if (!timeoutMs) return work
	let timer: ReturnType<typeof setTimeout> | undefined
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new DatabaseTimeoutError(timeoutMs)), timeoutMs)
	})
	try {
		return await Promise.race([work, deadline])
	} finally {
		clearTimeout(timer)
	}
}

export type DatabaseFailure = 'unique_violation' | 'foreign_key_violation' | 'invalid_input' | 'unavailable' | 'other'

// SQLSTATE classes and driver codes that mean "the database is not answering", as
// opposed to "the statement was wrong": connection exceptions (08…), shutdown and
// statement timeouts (57…), resource exhaustion (53…).
const UNAVAILABLE_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'EHOSTUNREACH',
	'ENOTFOUND',
	'CONNECT_TIMEOUT',
	'CONNECTION_CLOSED',
	'CONNECTION_ENDED',
	'CONNECTION_DESTROYED',
	'DATABASE_TIMEOUT',
	'57014',
	'57P01',
	'57P02',
	'57P03',
	'53300',
])

/** Classifies an error thrown by Drizzle, postgres.js or PGlite (walking `cause`). */
export function classifyDatabaseError(error: unknown): DatabaseFailure {
	for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
		// An embedded PGlite that was closed (e.g. during shutdown) is as gone as a dead server.
		if ((e as { message?: unknown }).message === 'PGlite is closed') return 'unavailable'
		const code = (e as { code?: unknown }).code
		if (typeof code !== 'string') continue
		if (code === '23505') return 'unique_violation'
		if (code === '23503') return 'foreign_key_violation'
		// Text PostgreSQL cannot store: a NUL character (22021), or one the encoding lacks (22P05).
		if (code === '22021' || code === '22P05') return 'invalid_input'
		// 08: connection exceptions; 28: the server refuses our credentials (e.g. a rotated password).
		if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('28')) return 'unavailable'
	}
	return 'other'
}
