/**
 * The bot's typed view of the guild API, on top of the shared HTTP client. Types come from
 * the server's own models (type-only imports: nothing of the server is loaded at runtime).
 */
import type { HttpClient, RequestOptions } from '../client/http-client'
import { ApiConflictError, ApiNotFoundError } from '../client/http-client'
import type {
	ForumConfigDto,
	GithubConfigDto,
	GuildCreateDto,
	GuildDto,
	GuildUpdateDto,
} from '../modules/guilds/models'

/** Per-call knobs a handler may tighten (e.g. a shorter budget while a user waits). */
export type CallOptions = Pick<RequestOptions, 'totalTimeoutMs' | 'attemptTimeoutMs' | 'signal'>

export interface GuildPage {
	items: GuildDto[]
	total: number
	limit: number
	offset: number
}

/**
 * How a create ended. `existing` covers both an earlier attempt of this call (409 after a
 * retry) and a guild registered before (409 on the first attempt): either way it is there.
 */
export type EnsureOutcome = { outcome: 'created'; guild: GuildDto } | { outcome: 'existing' }

const GUILDS = '/api/guilds'
const GUILD = '/api/guilds/:guildId'
/** The API's page size limit. */
export const PAGE_SIZE = 100

/** Builds the guild API client. Every method throws the client's typed errors. */
export function createGuildApi(http: HttpClient) {
	const byId = (guildId: string) => ({ params: { guildId } })

	// Methods call each other through `api`, not `this`, so they survive destructuring.
	const api = {
		async getGuild(guildId: string, options?: CallOptions): Promise<GuildDto> {
			return (await http.request<GuildDto>('GET', GUILD, { ...byId(guildId), ...options })).body
		},

		async listGuilds(page: { limit?: number; offset?: number } = {}, options?: CallOptions): Promise<GuildPage> {
			const query = { limit: page.limit ?? PAGE_SIZE, offset: page.offset ?? 0 }
			return (await http.request<GuildPage>('GET', GUILDS, { query, ...options })).body
		},

		/**
		 * Creates a guild; repeating it is harmless, so POST is marked idempotent and retried.
		 * A 409 after a retry is the earlier attempt's success, not a failure.
		 * Throws ApiConflictError when the guild already existed before this call.
		 */
		async createGuild(input: GuildCreateDto, options?: CallOptions): Promise<EnsureOutcome> {
			const response = await http.request<GuildDto>('POST', GUILDS, {
				body: input,
				idempotent: true,
				conflictMeansSuccessOnRetry: true,
				...options,
			})
			return response.conflictOnRetry ? { outcome: 'existing' } : { outcome: 'created', guild: response.body }
		},

		/** Makes sure the guild is registered, whoever created it. */
		async ensureGuild(input: GuildCreateDto, options?: CallOptions): Promise<EnsureOutcome> {
			try {
				return await api.createGuild(input, options)
			} catch (error) {
				if (error instanceof ApiConflictError) return { outcome: 'existing' }
				throw error
			}
		},

		/** PATCH is not idempotent in general; setting a name to a given value is, so it retries. */
		async updateGuild(guildId: string, changes: GuildUpdateDto, options?: CallOptions): Promise<GuildDto> {
			const request = { ...byId(guildId), body: changes, idempotent: true, ...options }
			return (await http.request<GuildDto>('PATCH', GUILD, request)).body
		},

		renameGuild(guildId: string, guildName: string, options?: CallOptions): Promise<GuildDto> {
			return api.updateGuild(guildId, { guildName }, options)
		},

		/** Deletes a guild's settings. A 404 means it is already gone, which is the goal. */
		async deleteGuild(guildId: string, options?: CallOptions): Promise<'deleted' | 'already-gone'> {
			try {
				await http.request('DELETE', GUILD, { ...byId(guildId), ...options })
				return 'deleted'
			} catch (error) {
				if (error instanceof ApiNotFoundError) return 'already-gone'
				throw error
			}
		},

		async getGithub(guildId: string, options?: CallOptions): Promise<GithubConfigDto> {
			return (await http.request<GithubConfigDto>('GET', `${GUILD}/github`, { ...byId(guildId), ...options })).body
		},

		async getForum(guildId: string, options?: CallOptions): Promise<ForumConfigDto> {
			return (await http.request<ForumConfigDto>('GET', `${GUILD}/forum`, { ...byId(guildId), ...options })).body
		},

		/** One round trip to the API process (liveness only, no database), in milliseconds. */
		async ping(options?: CallOptions): Promise<number> {
			const started = performance.now()
			await http.request('GET', '/health/live', options)
			return performance.now() - started
		},
	}
	return api
}

export type GuildApi = ReturnType<typeof createGuildApi>
