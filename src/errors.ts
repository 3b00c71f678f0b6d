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

/** What was thrown, as an Error (a thrown string or object is wrapped), for `withError`. */
export function asError(value: unknown): Error {
	return value instanceof Error ? value : new Error(String(value))
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

/** How a failed database operation is answered (see the guild service). */
export type DatabaseFailure =
	| 'unique_violation'
	| 'foreign_key_violation'
	| 'invalid_input'
	| 'unavailable'
	| 'timeout'
	| 'other'

/**
 * The `kind` label of db_errors_total (README "Metrics"): `unavailable` and `timeout` are
 * outages (no session, or no answer in time), `constraint` is the data being refused
 * (duplicates, missing parents, text PostgreSQL cannot store: client mistakes), `other`
 * is everything else (a bug in a statement).
 */
export type DatabaseErrorKind = 'unavailable' | 'timeout' | 'constraint' | 'other'

// Driver codes that mean no session could be had or kept (the socket, the pool, the
// handshake), whatever the statement was.
const UNAVAILABLE_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ECONNABORTED',
	'EPIPE',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENOTFOUND',
	'EAI_AGAIN',
	'CONNECTION_CLOSED',
	'CONNECTION_ENDED',
	'CONNECTION_DESTROYED',
	'SASL_SIGNATURE_MISMATCH',
	'AUTH_TYPE_NOT_IMPLEMENTED',
	// Shutdown (57P01-57P03), too many connections (53300).
	'57P01',
	'57P02',
	'57P03',
	'53300',
])
// No answer in time: our own deadline, postgres.js' connect timeout, a socket timeout,
// the server's statement_timeout (57014) and lock_timeout (55P03).
const TIMEOUT_CODES = new Set(['DATABASE_TIMEOUT', 'CONNECT_TIMEOUT', 'ETIMEDOUT', '57014', '55P03'])

interface Classified {
	failure: DatabaseFailure
	kind: DatabaseErrorKind
}

const classified = (failure: DatabaseFailure, kind: DatabaseErrorKind): Classified => ({ failure, kind })

/** Classifies one error of the chain, or undefined when it says nothing (no code). */
function classifyOne(e: { message?: unknown; code?: unknown; severity?: unknown }): Classified | undefined {
	// An embedded PGlite that was closed (e.g. during shutdown) is as gone as a dead server.
	if (e.message === 'PGlite is closed') return classified('unavailable', 'unavailable')
	// FATAL and PANIC end the session in PostgreSQL, whatever the SQLSTATE: a database that
	// refuses connections (55000), one that does not exist (3D000), a rotated password (28P01).
	if (e.severity === 'FATAL' || e.severity === 'PANIC') return classified('unavailable', 'unavailable')
	const code = e.code
	if (typeof code !== 'string') return undefined
	if (TIMEOUT_CODES.has(code)) return classified('timeout', 'timeout')
	// 08: connection exceptions; 28: the server refuses our credentials.
	if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('28') || code.startsWith('ERR_TLS'))
		return classified('unavailable', 'unavailable')
	if (code === '23505') return classified('unique_violation', 'constraint')
	if (code === '23503') return classified('foreign_key_violation', 'constraint')
	// Text PostgreSQL cannot store: a NUL character (22021), or one the encoding lacks (22P05).
	if (code === '22021' || code === '22P05') return classified('invalid_input', 'constraint')
	// Other integrity violations (23…) and data exceptions (22…): the data, not the database.
	if (code.startsWith('23') || code.startsWith('22')) return classified('other', 'constraint')
	return classified('other', 'other')
}

function classify(error: unknown): Classified {
	for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
		const found = classifyOne(e as { message?: unknown; code?: unknown; severity?: unknown })
		if (found) return found
	}
	return classified('other', 'other')
}

/** Classifies an error thrown by Drizzle, postgres.js or PGlite (walking `cause`) for the HTTP answer. */
export function classifyDatabaseError(error: unknown): DatabaseFailure {
	return classify(error).failure
}

/** The db_errors_total `kind` of an error thrown by Drizzle, postgres.js or PGlite. */
export function databaseErrorKind(error: unknown): DatabaseErrorKind {
	return classify(error).kind
}
