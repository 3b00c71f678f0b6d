/** HTTP routes for guilds and their settings sub-resources under /api/guilds. */
import { Elysia, t } from 'elysia'
import { invalid } from '../../errors'
import { ERROR_MODELS } from '../../server/error-body'
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
	LIMIT,
	OFFSET,
	SoTags,
} from './models'
import { type GuildService, snowflake } from './service'

/**
 * The shapes of bodies and answers, registered by name: validation uses them, and the
 * OpenAPI document lists each once under `components.schemas` and refers to it.
 */
const MODELS = {
	Guild,
	GuildCreate,
	GuildUpdate,
	GuildList,
	GithubConfig,
	SoTags,
	AllowedUsers,
	ForumConfig,
	...ERROR_MODELS,
}

// The error answers each kind of route can give, by status.
const READ_ERRORS = { 404: 'NotFound', 422: 'ValidationFailed', 503: 'DatabaseUnavailable' } as const
const BODY_ERRORS = { 400: 'MalformedBody', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType' } as const
const WRITE_ERRORS = { ...READ_ERRORS, ...BODY_ERRORS } as const

const params = GuildIdParams
const guildId = (p: { guildId: string }) => snowflake(p.guildId, 'params.guildId')

/** Options of {@link guildRoutes}. */
export interface GuildRoutesOptions {
	/** Limits of JSON request bodies (size, nesting). */
	body?: JsonBodyOptions
}

/** A `limit`/`offset` the schema shape-checked (decimal digits), within its range; 422 naming the field otherwise. */
function count(value: string | undefined, field: string, range: { min: number; max: number; fallback: number }) {
	if (value === undefined) return range.fallback
	const n = Number(value)
	if (n < range.min || n > range.max)
		throw invalid(`${field}: must be a whole number from ${range.min} to ${range.max}`)
	return n
}

/** Builds the guild routes around a service (so tests and the app can inject their own). */
export function guildRoutes(service: GuildService, options: GuildRoutesOptions = {}) {
	return new Elysia({ name: 'byte.guilds', prefix: '/api/guilds', detail: { tags: ['Guilds'] } })
		.use(jsonBody(options.body))
		.model(MODELS)
		.get(
			'',
			({ query }) =>
				service.list(count(query.limit, 'query.limit', LIMIT), count(query.offset, 'query.offset', OFFSET)),
			{
				query: GuildListQuery,
				response: { 200: 'GuildList', 422: 'ValidationFailed', 503: 'DatabaseUnavailable' },
				detail: { summary: 'List guilds', description: 'Ordered by guild id; `limit` is 1–100 (default 50).' },
			},
		)
		.post(
			'',
			async ({ body, set }) => {
				const guild = await service.create(body)
				set.status = 201
				set.headers.location = `/api/guilds/${guild.guildId}`
				return guild
			},
			{
				body: 'GuildCreate',
				response: {
					201: 'Guild',
					409: 'Conflict',
					422: 'ValidationFailed',
					503: 'DatabaseUnavailable',
					...BODY_ERRORS,
				},
				detail: { summary: 'Create a guild', description: '409 when a guild with this id already exists.' },
			},
		)
		.get('/:guildId', ({ params }) => service.get(guildId(params)), {
			params,
			response: { 200: 'Guild', ...READ_ERRORS },
			detail: { summary: 'Get a guild' },
		})
		.patch('/:guildId', ({ params, body }) => service.update(guildId(params), body), {
			params,
			body: 'GuildUpdate',
			response: { 200: 'Guild', ...WRITE_ERRORS },
			detail: { summary: 'Update some of a guild’s settings' },
		})
		.delete(
			'/:guildId',
			async ({ params, set }) => {
				await service.remove(guildId(params))
				set.status = 204
			},
			{
				params,
				response: { 204: t.Void({ description: 'Deleted, with all its settings' }), ...READ_ERRORS },
				detail: { summary: 'Delete a guild and all its settings' },
			},
		)
		.get('/:guildId/github', ({ params }) => service.getGithub(guildId(params)), {
			params,
			response: { 200: 'GithubConfig', ...READ_ERRORS },
			detail: { summary: 'Get GitHub settings' },
		})
		.put('/:guildId/github', ({ params, body }) => service.putGithub(guildId(params), body), {
			params,
			body: 'GithubConfig',
			response: { 200: 'GithubConfig', ...WRITE_ERRORS },
			detail: { summary: 'Replace GitHub settings' },
		})
		.get('/:guildId/sotags', ({ params }) => service.getTags(guildId(params)), {
			params,
			response: { 200: 'SoTags', ...READ_ERRORS },
			detail: { summary: 'Get Stack Overflow tags' },
		})
		.put('/:guildId/sotags', ({ params, body }) => service.putTags(guildId(params), body), {
			params,
			body: 'SoTags',
			response: { 200: 'SoTags', ...WRITE_ERRORS },
			detail: { summary: 'Replace Stack Overflow tags' },
		})
		.get('/:guildId/allowed-users', ({ params }) => service.getAllowedUsers(guildId(params)), {
			params,
			response: { 200: 'AllowedUsers', ...READ_ERRORS },
			detail: { summary: 'Get allowed users' },
		})
		.put('/:guildId/allowed-users', ({ params, body }) => service.putAllowedUsers(guildId(params), body), {
			params,
			body: 'AllowedUsers',
			response: { 200: 'AllowedUsers', ...WRITE_ERRORS },
			detail: { summary: 'Replace allowed users' },
		})
		.get('/:guildId/forum', ({ params }) => service.getForum(guildId(params)), {
			params,
			response: { 200: 'ForumConfig', ...READ_ERRORS },
			detail: { summary: 'Get forum settings' },
		})
		.put('/:guildId/forum', ({ params, body }) => service.putForum(guildId(params), body), {
			params,
			body: 'ForumConfig',
			response: { 200: 'ForumConfig', ...WRITE_ERRORS },
			detail: { summary: 'Replace forum settings' },
		})
}
