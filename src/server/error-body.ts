import { t } from 'elysia'

/**
 * The one error shape every non-2xx JSON response uses (README "HTTP API"), for one
 * status: `code` lists the codes that status really carries, so the OpenAPI document tells
 * a client which ones to expect instead of one example for all.
 */
export function errorBody(title: string, codes: readonly [string, ...string[]], description: string) {
	return t.Object(
		{
			error: t.Object({
				code: codes.length === 1 ? t.Literal(codes[0]) : t.Union(codes.map((code) => t.Literal(code))),
				message: t.String(),
				correlation_id: t.String({ description: 'Also in the X-Correlation-ID response header' }),
			}),
		},
		{ title, description },
	)
}

/** The error bodies by status, as named OpenAPI components. */
export const ERROR_MODELS = {
	MalformedBody: errorBody('MalformedBody', ['MALFORMED_BODY'], 'The body is not valid JSON, or nests too deep'),
	Unauthorized: errorBody('Unauthorized', ['UNAUTHORIZED'], 'API_TOKEN is set and no valid bearer token was sent'),
	NotFound: errorBody('NotFound', ['NOT_FOUND'], 'No such guild'),
	Conflict: errorBody('Conflict', ['CONFLICT'], 'A guild with this id already exists'),
	PayloadTooLarge: errorBody('PayloadTooLarge', ['PAYLOAD_TOO_LARGE'], 'The body exceeds BODY_LIMIT_BYTES'),
	UnsupportedMediaType: errorBody(
		'UnsupportedMediaType',
		['UNSUPPORTED_MEDIA_TYPE'],
		'The body is not application/json (or application/*+json)',
	),
	ValidationFailed: errorBody(
		'ValidationFailed',
		['VALIDATION_FAILED'],
		'The request does not match the schema; the message names the field',
	),
	DatabaseUnavailable: errorBody(
		'DatabaseUnavailable',
		['DATABASE_UNAVAILABLE'],
		'The database is unavailable or did not answer in time; retry later',
	),
} as const
