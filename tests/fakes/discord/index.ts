/**
 * A local fake Discord on one `Bun.serve`: REST under `/api/v10` (see `rest.ts`) and the
 * gateway WebSocket at `/` speaking the real protocol with JSON encoding (`?v=10&encoding=json`):
 * HELLO → IDENTIFY → READY (guilds as unavailable stubs) → one GUILD_CREATE per guild (or,
 * for a guild in an outage, GUILD_DELETE `unavailable: true`),
 * HEARTBEAT → HEARTBEAT_ACK, RESUME → RESUMED, sequence numbers on every dispatch.
 *
 * Sharding as Discord does it: `GET /gateway/bot` recommends a shard count (one per 1,000
 * guilds unless told), IDENTIFY's `shard: [id, count]` picks the guilds of that shard
 * (`(guild_id >> 22) % count`), every guild event goes to its shard's connection only, a shard
 * outside `0…count-1` is closed with 4010 and one that would hold more than 2,500 guilds with
 * 4011 (sharding required).
 *
 * Point discord.js at it with `rest: { api: fake.apiUrl }`; the gateway URL then comes from
 * the fake's `GET /gateway/bot`.
 */
import type { ServerWebSocket } from 'bun'
import {
	type CommandInteractionSpec,
	type FakeIdentity,
	type GuildSpec,
	commandInteractionPayload,
	guildDeletePayload,
	guildPayload,
	guildUpdatePayload,
	readyPayload,
	shardOf,
	snowflake,
} from './payloads'
import { handleRest, type RecordedCall, type RestState } from './rest'

export * from './payloads'
export { UNKNOWN_INTERACTION, type RecordedCall } from './rest'

/** Gateway opcodes (discord-api-types `GatewayOpcodes`). */
const Op = { Dispatch: 0, Heartbeat: 1, Identify: 2, Resume: 6, InvalidSession: 9, Hello: 10, HeartbeatAck: 11 }

/** Discord's limit of guilds on one shard: above it IDENTIFY is closed with 4011. */
export const MAX_GUILDS_PER_SHARD = 2_500

export interface FakeDiscordOptions {
	/** Guilds the bot is a member of when it identifies. */
	guilds?: GuildSpec[]
	/** HELLO's heartbeat_interval (default 41 250, Discord's usual). Tests use ~1 000 to see acks. */
	heartbeatIntervalMs?: number
	/** When set, IDENTIFY/RESUME with another token closes with 4004 (authentication failed). */
	token?: string
	identity?: Partial<FakeIdentity>
	/** `GET /gateway/bot`'s `shards` (default: one per 1,000 guilds, at least 1, as Discord recommends). */
	recommendedShards?: number
	/**
	 * `session_start_limit.max_concurrency`: shards that may IDENTIFY per 5 s (default 1, what
	 * Discord gives bots below 150,000 guilds; larger bots get 16 or more).
	 */
	maxConcurrency?: number
	/** Port to listen on (default: a free one). */
	port?: number
}

interface Session {
	id: string
	seq: number
	identified: boolean
	/** `[shard_id, shard_count]` from IDENTIFY (`[0, 1]` when it sent none). */
	shard: [number, number]
}

/** The IDENTIFY payload's `d`, as the bot sent it. */
export interface IdentifyData {
	token: string
	intents: number
	compress?: boolean
	properties: Record<string, string>
	shard?: [number, number]
}

/** Starts the fake on a free port. Call `stop()` when done. */
export function startFakeDiscord(options: FakeDiscordOptions = {}) {
	const identity: FakeIdentity = {
		applicationId: options.identity?.applicationId ?? snowflake(),
		botUserId: options.identity?.botUserId ?? snowflake(),
		botUsername: options.identity?.botUsername ?? 'Byte',
	}
	const guilds = new Map((options.guilds ?? []).map((g) => [g.id, { ...g }]))
	const calls: RecordedCall[] = []
	const identifies: IdentifyData[] = []
	let firstIdentifyAt: number | undefined
	const gatewayQueries: Record<string, string>[] = []
	const sockets = new Set<ServerWebSocket<Session>>()
	const sessions = new Map<string, Session>()
	/** Shards whose IDENTIFY/RESUME is left unanswered until released (see `closeShard`). */
	const held = new Map<number, Array<() => void>>()
	let heartbeats = 0
	const state: RestState = {
		identity,
		gatewayUrl: () => `ws://127.0.0.1:${server.port}`,
		recommendedShards: () => options.recommendedShards ?? Math.max(1, Math.ceil(guilds.size / 1_000)),
		maxConcurrency: options.maxConcurrency ?? 1,
		interactionChannels: new Map(),
		expiredInteractions: new Set(),
		overrides: [],
	}

	type Payload = { op: number; d: unknown; s?: number | null; t?: string | null }
	const send = (ws: ServerWebSocket<Session>, payload: Payload) =>
		ws.send(JSON.stringify({ s: null, t: null, ...payload }))

	const dispatchTo = (ws: ServerWebSocket<Session>, t: string, d: unknown) => {
		ws.data.seq += 1
		send(ws, { op: Op.Dispatch, t, s: ws.data.seq, d })
	}

	const owns = (session: Session, guildId: string) => shardOf(guildId, session.shard[1]) === session.shard[0]

	function identify(ws: ServerWebSocket<Session>, d: IdentifyData) {
		const [shardId, shardCount] = d.shard ?? [0, 1]
		const valid = Number.isInteger(shardId) && Number.isInteger(shardCount) && shardId >= 0 && shardId < shardCount
		if (!valid) return ws.close(4010, 'Invalid shard.')
		const session: Session = { ...ws.data, shard: [shardId, shardCount] }
		const mine = [...guilds.values()].filter((guild) => owns(session, guild.id))
		if (mine.length > MAX_GUILDS_PER_SHARD) return ws.close(4011, 'Sharding required.')
		ws.data = { ...session, identified: true }
		sessions.set(ws.data.id, ws.data)
		const ids = mine.map((guild) => guild.id)
		dispatchTo(ws, 'READY', readyPayload(identity, ids, ws.data.id, state.gatewayUrl(), ws.data.shard))
		for (const guild of mine) {
			if (guild.unavailable) dispatchTo(ws, 'GUILD_DELETE', guildDeletePayload(guild.id, true))
			else dispatchTo(ws, 'GUILD_CREATE', guildPayload(guild))
		}
	}

	function resume(ws: ServerWebSocket<Session>, previous: Session) {
		ws.data = { ...previous, identified: true }
		sessions.set(previous.id, ws.data)
		dispatchTo(ws, 'RESUMED', null)
	}

	/** Runs `answer` now, or once the shard is released when a test holds it. */
	function answer(ws: ServerWebSocket<Session>, shardId: number, run: () => void) {
		const queue = held.get(shardId)
		if (!queue) return run()
		queue.push(() => {
			if (ws.readyState === 1) run()
		})
	}

	function onPayload(ws: ServerWebSocket<Session>, payload: { op: number; d: any }) {
		switch (payload.op) {
			case Op.Heartbeat:
				heartbeats++
				send(ws, { op: Op.HeartbeatAck, d: null })
				return
			case Op.Identify: {
				const d = payload.d as IdentifyData
				identifies.push(d)
				firstIdentifyAt ??= Date.now()
				if (options.token !== undefined && d.token !== options.token) return ws.close(4004, 'Authentication failed.')
				if (d.compress) return ws.close(4002, 'This fake speaks uncompressed JSON only.')
				return answer(ws, d.shard?.[0] ?? 0, () => identify(ws, d))
			}
			case Op.Resume: {
				const previous = sessions.get(payload.d?.session_id)
				if (!previous || (options.token !== undefined && payload.d.token !== options.token)) {
					return send(ws, { op: Op.InvalidSession, d: false })
				}
				return answer(ws, previous.shard[0], () => resume(ws, previous))
			}
			default:
				// Presence updates, voice state and member requests are accepted and ignored.
				return
		}
	}

	const server = Bun.serve<Session>({
		hostname: '127.0.0.1',
		port: options.port ?? 0,
		fetch(request, srv) {
			const url = new URL(request.url)
			if (url.pathname.startsWith('/api/v10/')) {
				return handleRest(request, decodeURIComponent(url.pathname.slice('/api/v10'.length)), state, calls)
			}
			if (url.pathname === '/' && request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
				const query = Object.fromEntries(url.searchParams)
				gatewayQueries.push(query)
				if (query.v !== '10' || query.encoding !== 'json' || query.compress !== undefined) {
					return new Response('This fake speaks gateway v10, JSON, uncompressed', { status: 400 })
				}
				const id = crypto.randomUUID().replaceAll('-', '')
				const data: Session = { id, seq: 0, identified: false, shard: [0, 1] }
				return srv.upgrade(request, { data }) ? undefined : new Response('Upgrade failed', { status: 500 })
			}
			return Response.json({ message: '404: Not Found', code: 0 }, { status: 404 })
		},
		websocket: {
			open(ws) {
				sockets.add(ws)
				send(ws, { op: Op.Hello, d: { heartbeat_interval: options.heartbeatIntervalMs ?? 41_250 } })
			},
			message(ws, message) {
				let payload: { op: number; d: unknown }
				try {
					payload = JSON.parse(String(message))
				} catch {
					return ws.close(4002, 'Error while decoding payload.')
				}
				onPayload(ws, payload)
			},
			close(ws) {
				sockets.delete(ws)
			},
		},
	})

	const identified = () => [...sockets].filter((ws) => ws.data.identified)

	/** Sends a dispatch to every identified connection; returns how many received it. */
	function dispatch(t: string, d: unknown): number {
		let delivered = 0
		for (const ws of identified()) {
			dispatchTo(ws, t, d)
			delivered++
		}
		return delivered
	}

	/** Sends a guild's dispatch to the connection of the shard it lives on; returns how many received it. */
	function dispatchForGuild(guildId: string, t: string, d: unknown): number {
		let delivered = 0
		for (const ws of identified()) {
			if (!owns(ws.data, guildId)) continue
			dispatchTo(ws, t, d)
			delivered++
		}
		return delivered
	}

	return {
		identity,
		/** Base for discord.js `rest.api` / the bot's `DISCORD_API_URL`. */
		apiUrl: `http://127.0.0.1:${server.port}/api`,
		gatewayUrl: state.gatewayUrl(),
		port: server.port,
		/** Every REST call, oldest first. */
		calls,
		identifies,
		/** When the first IDENTIFY arrived (epoch ms), if one did. */
		get firstIdentifyAt() {
			return firstIdentifyAt
		},
		/** Query string of every gateway connection attempt. */
		gatewayQueries,
		get heartbeats() {
			return heartbeats
		},
		get connections() {
			return identified().length
		},
		/** `[shard_id, shard_count]` of every identified connection, sorted. */
		get shards(): Array<[number, number]> {
			return identified()
				.map((ws) => ws.data.shard)
				.sort((a, b) => a[1] - b[1] || a[0] - b[0])
		},
		/** The guilds the bot is a member of now. */
		get guildIds() {
			return [...guilds.keys()]
		},
		dispatch,
		dispatchForGuild,
		/** The bot joins a guild: GUILD_CREATE with the full guild object, on the guild's shard. */
		addGuild(guild: GuildSpec) {
			guilds.set(guild.id, { ...guild })
			return dispatchForGuild(guild.id, 'GUILD_CREATE', guildPayload(guild))
		},
		renameGuild(guildId: string, name: string) {
			const guild = { ...guilds.get(guildId), id: guildId, name }
			guilds.set(guildId, guild)
			return dispatchForGuild(guildId, 'GUILD_UPDATE', guildUpdatePayload(guild))
		},
		/**
		 * `unavailable: true` is an outage; otherwise the bot was removed from the guild (also
		 * while it is not connected: it is then missing from the next READY).
		 */
		removeGuild(guildId: string, { unavailable = false } = {}) {
			if (!unavailable) guilds.delete(guildId)
			return dispatchForGuild(guildId, 'GUILD_DELETE', guildDeletePayload(guildId, unavailable))
		},
		/** A member runs a slash command; returns the interaction (its `id` and `token`). */
		interact(spec: CommandInteractionSpec) {
			const interaction = commandInteractionPayload(identity, spec)
			state.interactionChannels.set(interaction.token, interaction.channel_id)
			dispatchForGuild(spec.guildId, 'INTERACTION_CREATE', interaction)
			return interaction
		},
		/** Discord forgets the interaction (its 3 s window passed): responding to it gets 10062. */
		expireInteraction(interaction: { token: string }) {
			state.expiredInteractions.add(interaction.token)
		},
		/**
		 * Closes the connection(s) of one shard with `code` (e.g. 4000 to make it resume, 4014 for
		 * disallowed intents). With `hold`, the shard's next IDENTIFY or RESUME waits until
		 * `release()`, so a test can look at the bot while the shard is down.
		 */
		closeShard(shardId: number, code: number, { hold = false, reason = 'Closed by the test' } = {}) {
			if (hold && !held.has(shardId)) held.set(shardId, [])
			let closed = 0
			for (const ws of identified()) {
				if (ws.data.shard[0] !== shardId) continue
				ws.close(code, reason)
				closed++
			}
			return {
				closed,
				release() {
					const queue = held.get(shardId) ?? []
					held.delete(shardId)
					for (const run of queue) run()
				},
			}
		},
		/**
		 * Answers matching REST calls with `respond` instead of the default route; a `respond`
		 * returning undefined lets that call through.
		 */
		override(method: string, pattern: RegExp, respond: (call: RecordedCall) => Response | undefined) {
			state.overrides.push({ method, pattern, respond })
		},
		/**
		 * The next `times` matching calls get Discord's 429: `Retry-After`, `X-RateLimit-Scope`
		 * (`user`, `shared` or `global`) and, for `global`, `X-RateLimit-Global`.
		 */
		rateLimit(
			method: string,
			pattern: RegExp,
			{ times = 1, scope = 'user', retryAfterS = 0.05 }: { times?: number; scope?: string; retryAfterS?: number } = {},
		) {
			let left = times
			state.overrides.push({
				method,
				pattern,
				respond: () => {
					if (left <= 0) return undefined
					left--
					const global = scope === 'global'
					const headers: Record<string, string> = {
						'retry-after': String(retryAfterS),
						'x-ratelimit-scope': scope,
						...(global ? { 'x-ratelimit-global': 'true' } : {}),
					}
					const body = { message: 'You are being rate limited.', retry_after: retryAfterS, global, code: 0 }
					return Response.json(body, { status: 429, headers })
				},
			})
		},
		/** Resolves with the first recorded call matching `predicate` (polling; rejects after `timeoutMs`). */
		waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs = 5_000) {
			return waitFor(() => calls.find(predicate), timeoutMs, 'REST call')
		},
		/** The bot's answers to an interaction: the callback and any edits/follow-ups, in order. */
		repliesTo(interaction: { id: string; token: string }) {
			return calls.filter((c) => c.path.split('/').includes(interaction.token))
		},
		async stop() {
			for (const ws of sockets) ws.close(1001, 'Fake Discord stopping')
			await server.stop(true)
		},
	}
}

export type FakeDiscord = ReturnType<typeof startFakeDiscord>

/** Polls `probe` every 10 ms until it returns a value. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what = 'condition'): Promise<T> {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		const value = probe()
		if (value !== undefined && value !== false) return value
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
		await Bun.sleep(10)
	}
}
