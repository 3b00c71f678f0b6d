/**
 * Bearer-token authentication of the guild API (README "Reliability and security"). With
 * `API_TOKEN` set, every request under /api (unknown /api paths included) must carry
 * `Authorization: Bearer <token>`; health, /metrics (its own METRICS_TOKEN) and the docs
 * stay open.
 *
 * The check runs as a request hook, before routing, body parsing and validation, so an
 * unauthenticated caller learns nothing about routes or schemas, and no body is read.
 * A failure is thrown as an AppError: the error renderer gives it the JSON body and the
 * correlation ID like every other error.
 */
import { Elysia } from 'elysia'
import { unauthorized } from '../errors'
import { bearerVerifier } from './bearer'
import { pathOf } from './url-path'

export interface ApiAuthOptions {
	/** Accepted tokens (several while clients rotate). Empty: the API is open and no hook is added. */
	tokens: readonly string[]
	/** Path prefix that is protected (default `/api`). */
	prefix?: string
}

/**
 * Creates the API authentication plugin (register it before the routes). The router
 * matches paths as they arrive (no percent-decoding of static segments), so the raw path
 * is what decides: `/%61pi/guilds` reaches no guild route and is an ordinary 404.
 */
export function apiAuth(options: ApiAuthOptions) {
	const prefix = options.prefix ?? '/api'
	const tokens = options.tokens.filter(Boolean)
	// The seed tells instances apart without putting the tokens themselves into Elysia's checksum.
	const seed = new Bun.CryptoHasher('sha256').update(`${prefix}\n${tokens.join('\n')}`).digest('hex')
	const plugin = new Elysia({ name: 'byte.api-auth', seed })
	if (tokens.length === 0) return plugin
	const verify = bearerVerifier(tokens)

	return plugin.onRequest(function requireApiToken({ request, set }) {
		const path = pathOf(request.url)
		if (path !== prefix && !path.startsWith(`${prefix}/`)) return
		// A CORS preflight never carries credentials (browsers strip them) and returns no data.
		if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) return
		if (verify(request.headers.get('authorization'))) return
		set.headers['www-authenticate'] = 'Bearer'
		throw unauthorized('A valid bearer token is required (Authorization: Bearer <API_TOKEN>)')
	})
}
