/**
 * Slash command definitions (registered by bulk overwrite on ready) and the text of the
 * replies. Replies are ephemeral: settings and diagnostics are for the person who asked.
 */
import {
	ApplicationCommandType,
	InteractionContextType,
	type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js'
import type { ForumConfigDto, GithubConfigDto, GuildDto } from '../modules/guilds/models'

export const COMMANDS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
	{
		name: 'config',
		description: 'Show the Byte settings of this server',
		type: ApplicationCommandType.ChatInput,
		contexts: [InteractionContextType.Guild],
	},
	{
		name: 'ping',
		description: 'Show Byte’s latency to Discord and to its API',
		type: ApplicationCommandType.ChatInput,
	},
]

const onOff = (value: boolean) => (value ? 'on' : 'off')
const channel = (id: string | null) => (id ? `<#${id}>` : 'not set')
const afterDays = (n: number | null) => (n === null ? '' : ` after ${n} day${n === 1 ? '' : 's'}`)

function githubLine(github: GithubConfigDto): string {
	const { githubOrganization: org, githubRepository: repo } = github
	const linked = org && repo ? `\`${org}/${repo}\`` : org ? `\`${org}\` (no repository)` : 'not linked'
	return `GitHub: ${linked} · discussion sync ${onOff(github.discussionSync)}`
}

function forumLine(label: string, on: boolean, category: string | null, autoClose: boolean, days: number | null) {
	if (!on) return `${label}: off`
	const where = `category ${category ? `\`${category}\`` : 'not set'}`
	return `${label}: on (${where}, ${autoClose ? `auto-close${afterDays(days)}` : 'no auto-close'})`
}

function notifyLine(forum: ForumConfigDto): string {
	const roles = forum.helpThreadNotifyRoles.map((role) => `<@&${role}>`).join(' ')
	const notify = forum.helpThreadNotify
		? `on${afterDays(forum.helpThreadNotifyDays)}${roles ? ` for ${roles}` : ''}`
		: 'off'
	return `Help thread notifications: ${notify} · help thread sync ${onOff(forum.helpThreadSync)}`
}

/** The `/config` reply: what the API holds for this guild. */
export function formatConfig(guild: GuildDto, github: GithubConfigDto, forum: ForumConfigDto): string {
	const linking = [
		`issues ${onOff(guild.issueLinking)}`,
		`comments ${onOff(guild.commentLinking)}`,
		`PEPs ${onOff(guild.pepLinking)}`,
	].join(', ')
	return [
		`**Byte settings for ${guild.guildName}**`,
		`Prefix: \`${guild.prefix}\``,
		`Help channel: ${channel(guild.helpChannelId)} · Showcase channel: ${channel(guild.showcaseChannelId)}`,
		githubLine(github),
		`Linking: ${linking}`,
		forumLine(
			'Help forum',
			forum.helpForum,
			forum.helpForumCategory,
			forum.helpThreadAutoClose,
			forum.helpThreadAutoCloseDays,
		),
		notifyLine(forum),
		forumLine(
			'Showcase forum',
			forum.showcaseForum,
			forum.showcaseForumCategory,
			forum.showcaseThreadAutoClose,
			forum.showcaseThreadAutoCloseDays,
		),
	].join('\n')
}

/**
 * The `/ping` reply. A gateway ping below 0 means no heartbeat has been acknowledged yet;
 * an unreachable API comes with the reference (correlation ID) to quote.
 */
export function formatPing(gatewayMs: number, apiMs: number | undefined, reference?: string): string {
	const gateway = gatewayMs >= 0 ? `${Math.round(gatewayMs)} ms` : 'not measured yet'
	const api = apiMs === undefined ? `unreachable (reference \`${reference ?? 'unknown'}\`)` : `${Math.round(apiMs)} ms`
	return `Pong! Discord gateway: ${gateway} · Byte API round trip: ${api}`
}

export const NOT_REGISTERED =
	'This server is not registered with Byte yet. It is added automatically; please try again in a minute.'

/** What a user sees when the API failed them: short, no internals, and an ID to quote. */
export function failureMessage(correlationId: string): string {
	return [
		'Sorry, Byte could not reach its settings service just now. Please try again in a minute.',
		`If it keeps happening, share this reference with the maintainers: \`${correlationId}\``,
	].join(' ')
}
