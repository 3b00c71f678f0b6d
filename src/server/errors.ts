/**
 * The one place errors become HTTP responses: `{"error":{code,message,correlation_id}}`
 * with a fitting status. Unexpected errors become a generic 500; no stack leaves the server.
 */
import { AppError } from '../errors'

interface ValidationIssue {
	path?: string
	message?: string
	value?: unknown
	schema?: { error?: unknown }
}

/** Names the first offending field: `body.guildId: Expected string to match …`. */
export function describeValidation(error: unknown): string {
	const e = error as { type?: string; all?: ValidationIssue[]; message?: string }
	let issues: ValidationIssue[] = []
	try {
		issues = e.all ?? []
	} catch {
		// Elysia computes `all` lazily; a schema it cannot walk still yields a message below.
	}
	const first = issues[0]
	const where = e.type ?? 'request'
	if (!first) return `${where}: invalid`
	const field = first.path ? `${where}${first.path.replace(/\//g, '.')}` : where
	// A schema's own `error` text (Elysia's custom validation message) reads better than
	// TypeBox's, which quotes the pattern.
	const custom = typeof first.schema?.error === 'string' ? first.schema.error : undefined
	const reason = first.value === undefined && first.path ? 'is required' : (custom ?? first.message ?? 'is invalid')
	return `${field}: ${reason}`
}

/** The message of the 404 for a method and path no route serves. */
export const NO_ROUTE_MESSAGE = 'No route matches this method and path'

export function classifyError(code: unknown, error: unknown): { status: number; code: string; message: string } {
	if (error instanceof AppError) return { status: error.status, code: error.code, message: error.message }
	// The parser wraps whatever stopped it; a body cut off at the limit is a 413, not a 400.
	const cause = (error as { cause?: unknown } | null)?.cause
	if (code === 'PARSE' && cause instanceof AppError)
		return { status: cause.status, code: cause.code, message: cause.message }
	switch (code) {
		case 'VALIDATION':
			return { status: 422, code: 'VALIDATION_FAILED', message: describeValidation(error) }
		case 'PARSE':
			return { status: 400, code: 'MALFORMED_BODY', message: 'The request body could not be parsed (malformed JSON?)' }
		case 'NOT_FOUND':
			return { status: 404, code: 'NOT_FOUND', message: NO_ROUTE_MESSAGE }
	}
	const status = (error as { status?: unknown })?.status
	if (typeof status === 'number' && status >= 400 && status < 500)
		return { status, code: 'BAD_REQUEST', message: 'The request was not acceptable' }
	return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' }
}

export interface ErrorPayload {
	error: { code: string; message: string; correlation_id: string }
}

/**
 * How long a client should wait before retrying a 503 (the database is down or the process
 * is shutting down): long enough not to hammer a recovering database, short enough that a
 * restart is ridden out in a few attempts (README "Reliability and security").
 */
export const RETRY_AFTER_SECONDS = 5

/**
 * What an error or a request no route serves is answered with: a status, headers of its own
 * and a JSON body (none for `204`). The request plugin hands it to Elysia through `set`, so
 * Elysia builds the one Response with the request's other headers (README "HTTP API").
 */
export interface Answer {
	status: number
	headers: Record<string, string> | undefined
	body: ErrorPayload | undefined
}

/** The JSON error answer, `{"error":{code,message,correlation_id}}` with its status. */
export function errorAnswer(code: unknown, error: unknown, correlationId: string): Answer {
	const problem = classifyError(code, error)
	return problemAnswer(problem.status, problem.code, problem.message, correlationId)
}

/** A JSON error answer; every 503 carries `Retry-After`. */
export function problemAnswer(
	status: number,
	code: string,
	message: string,
	correlationId: string,
	headers?: Record<string, string>,
): Answer {
	const body: ErrorPayload = { error: { code, message, correlation_id: correlationId } }
	if (status === 503) headers = { ...headers, 'retry-after': String(RETRY_AFTER_SECONDS) }
	return { status, headers, body }
}
