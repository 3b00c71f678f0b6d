/**
 * Guild business logic: maps rows to API shapes, turns database outcomes into
 * AppErrors (404/409/503) and counts every operation in guild_operations_total
 * where its outcome is known.
 */
import type { LogLayer } from 'loglayer'
import type { GuildRow } from '../../db/schema'
import {
	AppError,
	classifyDatabaseError,
	conflict,
	databaseUnavailable,
	invalid,
	notFound,
	withDeadline,
} from '../../errors'
import type {
	AllowedUserDto,
	ForumConfigDto,
	GithubConfigDto,
	GuildCreateDto,
	GuildDto,
	GuildUpdateDto,
	SoTagDto,
} from './models'
import { parseSnowflake } from './models'
import type { GuildRepository } from './repository'

export type GuildOperation = 'create' | 'update' | 'delete' | 'fetch'
export type OperationStatus = 'success' | 'error'

export interface GuildServiceDeps {
	repository: GuildRepository
	logger: LogLayer
	/** Counts one finished operation (wired to guild_operations_total). */
	recordOperation: (operation: GuildOperation, status: OperationStatus) => void
	/**
	 * Deadline for one operation's database work; past it the request fails with 503 even if
	 * the database never answers. Default: none (the driver's own timeouts only).
	 */
	timeoutMs?: number
}

const DEFAULT_GITHUB: GithubConfigDto = { githubOrganization: null, githubRepository: null, discussionSync: false }
const DEFAULT_FORUM: ForumConfigDto = {
	helpForum: false,
	helpForumCategory: null,
	helpThreadAutoClose: false,
	helpThreadAutoCloseDays: null,
	helpThreadNotify: false,
	helpThreadNotifyRoles: [],
	helpThreadNotifyDays: null,
	helpThreadSync: false,
	showcaseForum: false,
	showcaseForumCategory: null,
	showcaseThreadAutoClose: false,
	showcaseThreadAutoCloseDays: null,
}

const idOrNull = (value: bigint | null) => (value === null ? null : value.toString())

export function toGuildDto(row: GuildRow): GuildDto {
	return {
		guildId: row.guildId.toString(),
		guildName: row.guildName,
		prefix: row.prefix,
		helpChannelId: idOrNull(row.helpChannelId),
		showcaseChannelId: idOrNull(row.showcaseChannelId),
		syncLabel: row.syncLabel,
		issueLinking: row.issueLinking,
		commentLinking: row.commentLinking,
		pepLinking: row.pepLinking,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
	}
}

/** Parses a snowflake from input the schema already shape-checked; 422 when out of range. */
export function snowflake(value: string, field: string): bigint {
	const id = parseSnowflake(value)
	if (id === null) throw invalid(`${field}: must be a positive 64-bit integer (at most 9223372036854775807)`)
	return id
}
const optionalSnowflake = (value: string | null | undefined, field: string) =>
	value === undefined ? undefined : value === null ? null : snowflake(value, field)

export function createGuildService({ repository, logger, recordOperation, timeoutMs }: GuildServiceDeps) {
	/**
	 * Runs one operation, counts its outcome and maps database failures to HTTP errors. Any
	 * failure to get, keep or hear from a database session is a 503, whatever the SQLSTATE.
	 * A unique violation is a duplicate guild only for a create; replaces lock the guild row
	 * and never collide, so anywhere else it is reported as what it is.
	 */
	async function operation<T>(op: GuildOperation, guildId: bigint, run: () => Promise<T>): Promise<T> {
		try {
			const result = await withDeadline(run(), timeoutMs)
			recordOperation(op, 'success')
			return result
		} catch (error) {
			recordOperation(op, 'error')
			if (error instanceof AppError) throw error
			switch (classifyDatabaseError(error)) {
				case 'unique_violation':
					throw op === 'create'
						? conflict(`Guild ${guildId} already exists`)
						: conflict(`Guild ${guildId}: the change collided with a concurrent change; retry it`)
				case 'invalid_input':
					throw invalid('body: text cannot contain NUL characters')
				case 'foreign_key_violation':
					throw notFound(`Guild ${guildId} not found`)
				case 'unavailable':
				case 'timeout':
					throw databaseUnavailable(error)
				default:
					throw error
			}
		}
	}
	const missing = (guildId: bigint) => notFound(`Guild ${guildId} not found`)
	async function requireGuild(guildId: bigint) {
		if (!(await repository.exists(guildId))) throw missing(guildId)
	}

	return {
		list: (limit: number, offset: number) =>
			operation('fetch', 0n, async () => {
				const { rows, total } = await repository.list(limit, offset)
				return { items: rows.map(toGuildDto), total, limit, offset }
			}),

		create: (input: GuildCreateDto) => {
			const guildId = snowflake(input.guildId, 'body.guildId')
			return operation('create', guildId, async () => {
				const row = await repository.insert({
					guildId,
					guildName: input.guildName,
					prefix: input.prefix,
					helpChannelId: optionalSnowflake(input.helpChannelId, 'body.helpChannelId'),
					showcaseChannelId: optionalSnowflake(input.showcaseChannelId, 'body.showcaseChannelId'),
					syncLabel: input.syncLabel,
					issueLinking: input.issueLinking,
					commentLinking: input.commentLinking,
					pepLinking: input.pepLinking,
				})
				logger.withMetadata({ guild_id: row.guildId.toString(), guild_name: row.guildName }).info('Guild created')
				return toGuildDto(row)
			})
		},

		get: (guildId: bigint) =>
			operation('fetch', guildId, async () => {
				const row = await repository.find(guildId)
				if (!row) throw missing(guildId)
				logger.withMetadata({ guild_id: row.guildId.toString(), guild_name: row.guildName }).debug('Guild fetched')
				return toGuildDto(row)
			}),

		update: (guildId: bigint, patch: GuildUpdateDto) => {
			if (Object.keys(patch).length === 0) throw invalid('body: at least one field is required')
			return operation('update', guildId, async () => {
				const row = await repository.update(guildId, {
					...patch,
					helpChannelId: optionalSnowflake(patch.helpChannelId, 'body.helpChannelId'),
					showcaseChannelId: optionalSnowflake(patch.showcaseChannelId, 'body.showcaseChannelId'),
				})
				if (!row) throw missing(guildId)
				logger.withMetadata({ guild_id: row.guildId.toString(), fields: Object.keys(patch) }).info('Guild updated')
				return toGuildDto(row)
			})
		},

		remove: (guildId: bigint) =>
			operation('delete', guildId, async () => {
				if (!(await repository.remove(guildId))) throw missing(guildId)
				logger.withMetadata({ guild_id: guildId.toString() }).info('Guild deleted')
			}),

		getGithub: (guildId: bigint) =>
			operation('fetch', guildId, async (): Promise<GithubConfigDto> => {
				await requireGuild(guildId)
				const row = await repository.findGithub(guildId)
				return row
					? {
							githubOrganization: row.githubOrganization,
							githubRepository: row.githubRepository,
							discussionSync: row.discussionSync,
						}
					: DEFAULT_GITHUB
			}),

		putGithub: (guildId: bigint, input: GithubConfigDto) =>
			operation('update', guildId, async (): Promise<GithubConfigDto> => {
				await repository.upsertGithub(guildId, input)
				logger.withMetadata({ guild_id: guildId.toString() }).info('GitHub settings replaced')
				return input
			}),

		getForum: (guildId: bigint) =>
			operation('fetch', guildId, async (): Promise<ForumConfigDto> => {
				await requireGuild(guildId)
				const row = await repository.findForum(guildId)
				if (!row) return DEFAULT_FORUM
				const { guildId: _, createdAt: __, updatedAt: ___, ...settings } = row
				return settings
			}),

		putForum: (guildId: bigint, input: ForumConfigDto) =>
			operation('update', guildId, async (): Promise<ForumConfigDto> => {
				for (const [i, role] of input.helpThreadNotifyRoles.entries())
					snowflake(role, `body.helpThreadNotifyRoles.${i}`)
				await repository.upsertForum(guildId, input)
				logger.withMetadata({ guild_id: guildId.toString() }).info('Forum settings replaced')
				return input
			}),

		getTags: (guildId: bigint) =>
			operation('fetch', guildId, async (): Promise<SoTagDto[]> => {
				await requireGuild(guildId)
				return (await repository.listTags(guildId)).map((tagName) => ({ tagName }))
			}),

		putTags: (guildId: bigint, input: SoTagDto[]) => {
			const names = [...new Set(input.map((t) => t.tagName))].sort()
			if (names.length !== input.length) throw invalid('body: tagName values must be unique')
			return operation('update', guildId, async (): Promise<SoTagDto[]> => {
				if (!(await repository.replaceTags(guildId, names))) throw missing(guildId)
				logger
					.withMetadata({ guild_id: guildId.toString(), tag_count: names.length })
					.info('Stack Overflow tags replaced')
				return names.map((tagName) => ({ tagName }))
			})
		},

		getAllowedUsers: (guildId: bigint) =>
			operation('fetch', guildId, async (): Promise<AllowedUserDto[]> => {
				await requireGuild(guildId)
				return (await repository.listAllowedUsers(guildId)).map((id) => ({ userId: id.toString() }))
			}),

		putAllowedUsers: (guildId: bigint, input: AllowedUserDto[]) => {
			const ids = input.map((u, i) => snowflake(u.userId, `body.${i}.userId`))
			const unique = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
			if (unique.length !== ids.length) throw invalid('body: userId values must be unique')
			return operation('update', guildId, async (): Promise<AllowedUserDto[]> => {
				if (!(await repository.replaceAllowedUsers(guildId, unique))) throw missing(guildId)
				logger.withMetadata({ guild_id: guildId.toString(), user_count: unique.length }).info('Allowed users replaced')
				return unique.map((id) => ({ userId: id.toString() }))
			})
		},
	}
}

export type GuildService = ReturnType<typeof createGuildService>
