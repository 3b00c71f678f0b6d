/**
 * A local fake Discord on one `Bun.serve`: REST under `/api/v10` (see `rest.ts`) and the
 * gateway WebSocket at `/` speaking the real protocol with JSON encoding (`?v=10&encoding=json`):
 * HELLO → IDENTIFY → READY (guilds as unavailable stubs) → one GUILD_CREATE per guild,
 * HEARTBEAT → HEARTBEAT_ACK, RESUME → RESUMED, sequence numbers on every dispatch.
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
	snowflake,
} from './payloads'
import { handleRest, type RecordedCall, type RestState } from './rest'

export * from './payloads'
export type { RecordedCall } from './rest'

/** Gateway opcodes (discord-api-types `GatewayOpcodes`). */
const Op = { Dispatch: 0, Heartbeat: 1, Identify: 2, Resume: 6, InvalidSession: 9, Hello: 10, HeartbeatAck: 11 }

export interface FakeDiscordOptions {
	/** Guilds the bot is a member of when it identifies. */
	guilds?: GuildSpec[]
	/** HELLO's heartbeat_interval (default 41 250, Discord's usual). Tests use ~1 000 to see acks. */
	heartbeatIntervalMs?: number
	/** When set, IDENTIFY/RESUME with another token closes with 4004 (authentication failed). */
	token?: string
	identity?: Partial<FakeIdentity>
}

interface Session {
	id: string
	seq: number
	identified: boolean
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
	const gatewayQueries: Record<string, string>[] = []
	const sockets = new Set<ServerWebSocket<Session>>()
	const sessions = new Map<string, Session>()
	let heartbeats = 0
	const state: RestState = {
		identity,
		gatewayUrl: () => `ws://127.0.0.1:${server.port}`,
		interactionChannels: new Map(),
		overrides: [],
	}

	type Payload = { op: number; d: unknown; s?: number | null; t?: string | null }
	const send = (ws: ServerWebSocket<Session>, payload: Payload) =>
		ws.send(JSON.stringify({ s: null, t: null, ...payload }))

	const dispatchTo = (ws: ServerWebSocket<Session>, t: string, d: unknown) => {
		ws.data.seq += 1
		send(ws, { op: Op.Dispatch, t, s: ws.data.seq, d })
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
				if (options.token !== undefined && d.token !== options.token) return ws.close(4004, 'Authentication failed.')
				if (d.compress) return ws.close(4002, 'This fake speaks uncompressed JSON only.')
				ws.data.identified = true
				sessions.set(ws.data.id, ws.data)
				dispatchTo(ws, 'READY', readyPayload(identity, [...guilds.keys()], ws.data.id, state.gatewayUrl()))
				for (const guild of guilds.values()) dispatchTo(ws, 'GUILD_CREATE', guildPayload(guild))
				return
			}
			case Op.Resume: {
				const previous = sessions.get(payload.d?.session_id)
				if (!previous || (options.token !== undefined && payload.d.token !== options.token)) {
					return send(ws, { op: Op.InvalidSession, d: false })
				}
				ws.data = { ...previous, identified: true }
				sessions.set(previous.id, ws.data)
				dispatchTo(ws, 'RESUMED', null)
				return
			}
			default:
				// Presence updates, voice state and member requests are accepted and ignored.
				return
		}
	}

	const server = Bun.serve<Session>({
		hostname: '127.0.0.1',
		port: 0,
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
				const data: Session = { id: crypto.randomUUID().replaceAll('-', ''), seq: 0, identified: false }
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

	/** Sends a dispatch to every identified connection; returns how many received it. */
	function dispatch(t: string, d: unknown): number {
		let delivered = 0
		for (const ws of sockets) {
			if (!ws.data.identified) continue
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
		/** Query string of every gateway connection attempt. */
		gatewayQueries,
		get heartbeats() {
			return heartbeats
		},
		get connections() {
			return [...sockets].filter((ws) => ws.data.identified).length
		},
		dispatch,
		/** The bot joins a guild: GUILD_CREATE with the full guild object. */
		addGuild(guild: GuildSpec) {
			guilds.set(guild.id, { ...guild })
			return dispatch('GUILD_CREATE', guildPayload(guild))
		},
		renameGuild(guildId: string, name: string) {
			const guild = { ...guilds.get(guildId), id: guildId, name }
			guilds.set(guildId, guild)
			return dispatch('GUILD_UPDATE', guildUpdatePayload(guild))
		},
		/** `unavailable: true` is an outage; otherwise the bot was removed from the guild. */
		removeGuild(guildId: string, { unavailable = false } = {}) {
			if (!unavailable) guilds.delete(guildId)
			return dispatch('GUILD_DELETE', guildDeletePayload(guildId, unavailable))
		},
		/** A member runs a slash command; returns the interaction (its `id` and `token`). */
		interact(spec: CommandInteractionSpec) {
			const interaction = commandInteractionPayload(identity, spec)
			state.interactionChannels.set(interaction.token, interaction.channel_id)
			dispatch('INTERACTION_CREATE', interaction)
			return interaction
		},
		/** Answers matching REST calls with `respond` instead of the default route. */
		override(method: string, pattern: RegExp, respond: (call: RecordedCall) => Response) {
			state.overrides.push({ method, pattern, respond })
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
