/** HTTP routes for guilds and their settings sub-resources under /api/guilds. */
import { Elysia } from 'elysia'
import { ErrorBody } from '../../server/error-body'
import { type JsonBodyOptions, jsonBody } from '../../server/json-body'
import {
	AllowedUsers,
	ForumConfig,
	GithubConfig,
	Guild,
	GuildCreate,
	GuildIdParams,
	GuildList,
	GuildListQuery,
	GuildUpdate,
	SoTags,
} from './models'
import { type GuildService, snowflake } from './service'

const errors = { 404: ErrorBody, 422: ErrorBody, 503: ErrorBody }
const params = GuildIdParams
const guildId = (p: { guildId: string }) => snowflake(p.guildId, 'params.guildId')

/** Options of {@link guildRoutes}. */
export interface GuildRoutesOptions {
	/** Limits of JSON request bodies (size, nesting). */
	body?: JsonBodyOptions
}

/** Builds the guild routes around a service (so tests and the app can inject their own). */
export function guildRoutes(service: GuildService, options: GuildRoutesOptions = {}) {
	return new Elysia({ name: 'byte.guilds', prefix: '/api/guilds', detail: { tags: ['Guilds'] } })
		.use(jsonBody(options.body))
		.get('', ({ query }) => service.list(query.limit ?? 50, query.offset ?? 0), {
			query: GuildListQuery,
			response: { 200: GuildList, 422: ErrorBody, 503: ErrorBody },
			detail: { summary: 'List guilds', description: 'Ordered by guild id; `limit` is 1–100 (default 50).' },
		})
		.post(
			'',
			async ({ body, set }) => {
				const guild = await service.create(body)
				set.status = 201
				set.headers.location = `/api/guilds/${guild.guildId}`
				return guild
			},
			{
				body: GuildCreate,
				response: { 201: Guild, 400: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody },
				detail: { summary: 'Create a guild', description: '409 when a guild with this id already exists.' },
			},
		)
		.get('/:guildId', ({ params }) => service.get(guildId(params)), {
			params,
			response: { 200: Guild, ...errors },
			detail: { summary: 'Get a guild' },
		})
		.patch('/:guildId', ({ params, body }) => service.update(guildId(params), body), {
			params,
			body: GuildUpdate,
			response: { 200: Guild, 400: ErrorBody, ...errors },
			detail: { summary: 'Update some of a guild’s settings' },
		})
		.delete(
			'/:guildId',
			async ({ params, set }) => {
				await service.remove(guildId(params))
				set.status = 204
			},
			{ params, response: errors, detail: { summary: 'Delete a guild and all its settings' } },
		)
		.get('/:guildId/github', ({ params }) => service.getGithub(guildId(params)), {
			params,
			response: { 200: GithubConfig, ...errors },
			detail: { summary: 'Get GitHub settings' },
		})
		.put('/:guildId/github', ({ params, body }) => service.putGithub(guildId(params), body), {
			params,
			body: GithubConfig,
			response: { 200: GithubConfig, 400: ErrorBody, ...errors },
			detail: { summary: 'Replace GitHub settings' },
		})
		.get('/:guildId/sotags', ({ params }) => service.getTags(guildId(params)), {
			params,
			response: { 200: SoTags, ...errors },
			detail: { summary: 'Get Stack Overflow tags' },
		})
		.put('/:guildId/sotags', ({ params, body }) => service.putTags(guildId(params), body), {
			params,
			body: SoTags,
			response: { 200: SoTags, 400: ErrorBody, ...errors },
			detail: { summary: 'Replace Stack Overflow tags' },
		})
		.get('/:guildId/allowed-users', ({ params }) => service.getAllowedUsers(guildId(params)), {
			params,
			response: { 200: AllowedUsers, ...errors },
			detail: { summary: 'Get allowed users' },
		})
		.put('/:guildId/allowed-users', ({ params, body }) => service.putAllowedUsers(guildId(params), body), {
			params,
			body: AllowedUsers,
			response: { 200: AllowedUsers, 400: ErrorBody, ...errors },
			detail: { summary: 'Replace allowed users' },
		})
		.get('/:guildId/forum', ({ params }) => service.getForum(guildId(params)), {
			params,
			response: { 200: ForumConfig, ...errors },
			detail: { summary: 'Get forum settings' },
		})
		.put('/:guildId/forum', ({ params, body }) => service.putForum(guildId(params), body), {
			params,
			body: ForumConfig,
			response: { 200: ForumConfig, 400: ErrorBody, ...errors },
			detail: { summary: 'Replace forum settings' },
		})
}
