/**
 * Typed failures of the shared HTTP client, so callers branch on `instanceof` instead of
 * parsing messages. Every error carries what an operator needs to find the request in the
 * server's logs: the correlation ID, the status (when a response arrived) and the error body.
 */

/** The JSON error shape our API returns (README "HTTP API"). */
export interface ApiErrorBody {
	error: { code: string; message: string; correlation_id: string }
}

/** Where a failure happened, shared by every client error. */
export interface ApiErrorDetails {
	method: string
	/** The route template the caller named (e.g. `/api/guilds/:guildId`). */
	endpoint: string
	/** HTTP status of the last response; undefined when no response arrived. */
	status: number | undefined
	correlationId: string
	/** The response body: the API's parsed JSON error when there was one, else its text. */
	body: unknown
	/** How many attempts were made (1 when the request was not retried). */
	attempts: number
	cause?: unknown
}

/** Base class of every client failure. */
export class ApiError extends Error {
	readonly method: string
	readonly endpoint: string
	readonly status: number | undefined
	readonly correlationId: string
	readonly body: unknown
	readonly attempts: number

	constructor(message: string, details: ApiErrorDetails) {
		super(message, details.cause === undefined ? undefined : { cause: details.cause })
		this.name = new.target.name
		this.method = details.method
		this.endpoint = details.endpoint
		this.status = details.status
		this.correlationId = details.correlationId
		this.body = details.body
		this.attempts = details.attempts
	}

	/** The API's `error.code` (e.g. `NOT_FOUND`), when the body is our error shape. */
	get code(): string | undefined {
		const body = this.body as Partial<ApiErrorBody> | undefined
		return typeof body?.error?.code === 'string' ? body.error.code : undefined
	}
}

/** 404: the resource does not exist. */
export class ApiNotFoundError extends ApiError {}

/** 409: the resource already exists (or the change conflicts with its state). */
export class ApiConflictError extends ApiError {}

/**
 * The API could not be reached or kept answering 429/502/503/504 until the retry budget ran
 * out (or the request was not safe to retry). `cause` holds the last network error, if any.
 */
export class ApiUnavailableError extends ApiError {}

/** Any other status the caller did not expect, or a 2xx body that is not valid JSON. */
export class ApiBadResponseError extends ApiError {}
