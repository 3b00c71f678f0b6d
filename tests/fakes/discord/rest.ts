/**
 * The REST half of the fake Discord: the routes discord.js v14 calls for a bot that logs in,
 * registers slash commands and answers interactions. Every call is recorded so tests can
 * assert on what the bot sent (e.g. the `/config` reply's content).
 */
import { type FakeIdentity, botUser, snowflake, webhookMessagePayload } from './payloads'

/** One REST call as the fake received it. `path` is relative to `/api/v10`. */
export interface RecordedCall {
	method: string
	path: string
	query: Record<string, string>
	body: any
	authorization: string | null
	at: number
}

export interface RestState {
	identity: FakeIdentity
	gatewayUrl: () => string
	/** `GET /gateway/bot`'s `shards` and `session_start_limit.max_concurrency`, read per call. */
	recommendedShards: () => number
	maxConcurrency: number
	/** Channel of each interaction by token, so webhook replies point at the right channel. */
	interactionChannels: Map<string, string>
	/** Tokens of interactions Discord has forgotten: their callback answers 10062. */
	expiredInteractions: Set<string>
	/**
	 * Extra routes tests install (matched first), e.g. to make a route fail. A `respond` that
	 * returns undefined lets the call through to the normal route.
	 */
	overrides: Array<{ method: string; pattern: RegExp; respond: (call: RecordedCall) => Response | undefined }>
}

type Handler = (call: RecordedCall, match: RegExpMatchArray, state: RestState) => Response

const json = (body: unknown, status = 200) => Response.json(body, { status })

/** Discord's error shape, e.g. `{ "message": "404: Not Found", "code": 0 }`. */
const discordError = (status: number, message: string, code = 0) => json({ message, code }, status)

/** JSON error code Discord answers a response to a gone interaction with (RESTJSONErrorCodes). */
export const UNKNOWN_INTERACTION = 10062

const routes: Array<{ method: string; pattern: RegExp; handle: Handler }> = [
	{
		method: 'GET',
		pattern: /^\/gateway\/bot$/,
		handle: (_c, _m, s) =>
			json({
				url: s.gatewayUrl(),
				shards: s.recommendedShards(),
				session_start_limit: {
					total: 1000,
					remaining: 999,
					reset_after: 14_400_000,
					max_concurrency: s.maxConcurrency,
				},
			}),
	},
	{ method: 'GET', pattern: /^\/gateway$/, handle: (_c, _m, s) => json({ url: s.gatewayUrl() }) },
	{ method: 'GET', pattern: /^\/users\/@me$/, handle: (_c, _m, s) => json(botUser(s.identity)) },
	{
		method: 'PUT',
		pattern: /^\/applications\/(\d+)\/commands$/,
		handle: (call, m) => json(registeredCommands(call.body, m[1]!)),
	},
	{
		method: 'PUT',
		pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
		handle: (call, m) => json(registeredCommands(call.body, m[1]!, m[2])),
	},
	{
		method: 'POST',
		pattern: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
		// with_response=false (discord.js' default) gets 204, like Discord; after the 3 s window
		// (or once answered by someone else) the interaction is unknown.
		handle: (call, m, s) => {
			if (s.expiredInteractions.has(m[2]!)) return discordError(404, 'Unknown interaction', UNKNOWN_INTERACTION)
			return call.query.with_response === 'true'
				? json({ interaction: { id: m[1], type: 2 }, resource: { type: call.body?.type } })
				: new Response(null, { status: 204 })
		},
	},
	{
		method: 'PATCH',
		pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/,
		handle: (call, m, s) =>
			json(webhookMessagePayload(s.identity, s.interactionChannels.get(m[2]!) ?? snowflake(), call.body ?? {})),
	},
	{
		method: 'POST',
		pattern: /^\/webhooks\/(\d+)\/([^/]+)$/,
		handle: (call, m, s) =>
			json(webhookMessagePayload(s.identity, s.interactionChannels.get(m[2]!) ?? snowflake(), call.body ?? {})),
	},
]

/** Echoes a bulk overwrite the way Discord does: each command gains ids and a version. */
function registeredCommands(body: unknown, applicationId: string, guildId?: string) {
	const commands = Array.isArray(body) ? body : []
	return commands.map((command: Record<string, unknown>) => ({
		id: snowflake(),
		application_id: applicationId,
		...(guildId ? { guild_id: guildId } : {}),
		type: 1,
		description: '',
		default_member_permissions: null,
		nsfw: false,
		version: snowflake(),
		...command,
	}))
}

/** Handles one REST request under `/api/v10`, appending it to `calls`. */
export async function handleRest(request: Request, path: string, state: RestState, calls: RecordedCall[]) {
	const url = new URL(request.url)
	const text = await request.text()
	let body: unknown = text
	if (text !== '') {
		try {
			body = JSON.parse(text)
		} catch {
			// Kept as text: a multipart upload or a malformed body is still worth recording.
		}
	}
	const call: RecordedCall = {
		method: request.method,
		path,
		query: Object.fromEntries(url.searchParams),
		body: text === '' ? undefined : body,
		authorization: request.headers.get('authorization'),
		at: Date.now(),
	}
	calls.push(call)
	for (const override of state.overrides) {
		if (override.method !== call.method || !override.pattern.test(path)) continue
		const response = override.respond(call)
		if (response) return response
	}
	for (const route of routes) {
		if (route.method !== call.method) continue
		const match = path.match(route.pattern)
		if (match) return route.handle(call, match, state)
	}
	return discordError(404, '404: Not Found')
}
