/**
 * The fake Discord as a process, to try the bot by hand (README "Testing without Discord"):
 *
 *   bun tests/fakes/discord/serve.ts --guilds=10 --recommended-shards=2
 *
 * prints the `DISCORD_API_URL` to give the bot and a control URL that plays Discord's part:
 *
 *   GET    /state                               guilds, connected shards, IDENTIFYs
 *   POST   /guilds            {"id"?,"name"}    the bot joins a guild (GUILD_CREATE on its shard)
 *   DELETE /guilds/:id                          the bot is removed (also while it is not connected)
 *   POST   /interactions      {"guildId","commandName"}   a member runs a slash command
 *   POST   /shards/:id/close?code=4000&hold=1   close a shard's socket (hold: no resume until released)
 *   POST   /shards/:id/release                  let a held shard resume
 *
 * Options: --port, --control-port (default: free ports), --guilds (default 3, spread over the
 * shards, named in many scripts), --recommended-shards, --max-concurrency (default 1, Discord's for most bots).
 */
import { shardOf, snowflake, spreadGuilds, startFakeDiscord, unicodeGuildName } from './index'

const flags = new Map(
	process.argv
		.slice(2)
		.filter((arg) => arg.startsWith('--'))
		.map((arg) => arg.slice(2).split('=') as [string, string | undefined]),
)
const number = (name: string) => (flags.has(name) ? Number(flags.get(name)) : undefined)

const fake = startFakeDiscord({
	port: number('port'),
	guilds: spreadGuilds(number('guilds') ?? 3),
	recommendedShards: number('recommended-shards'),
	maxConcurrency: number('max-concurrency'),
})
const holds = new Map<number, { release(): void }>()

const control = Bun.serve({
	hostname: '127.0.0.1',
	port: number('control-port') ?? 0,
	async fetch(request) {
		const url = new URL(request.url)
		const parts = url.pathname.split('/').filter(Boolean)
		const body: Record<string, string | undefined> =
			request.method === 'POST' && request.body
				? ((await request.json().catch(() => ({}))) as Record<string, string>)
				: {}
		if (request.method === 'GET' && url.pathname === '/state') {
			const count = fake.shards[0]?.[1] ?? 1
			const guilds = fake.guildIds.map((id) => ({ id, shard: shardOf(id, count) }))
			return Response.json({ guilds, shards: fake.shards, identifies: fake.identifies.length })
		}
		if (request.method === 'POST' && url.pathname === '/guilds') {
			const guild = { id: body.id ?? snowflake(), name: body.name ?? unicodeGuildName(fake.guildIds.length) }
			return Response.json({ ...guild, delivered: fake.addGuild(guild) }, { status: 201 })
		}
		if (request.method === 'DELETE' && parts[0] === 'guilds' && parts[1]) {
			return Response.json({ id: parts[1], delivered: fake.removeGuild(parts[1]) })
		}
		if (request.method === 'POST' && url.pathname === '/interactions') {
			const interaction = fake.interact({ guildId: body.guildId ?? '', commandName: body.commandName ?? 'ping' })
			return Response.json({ id: interaction.id, token: interaction.token }, { status: 201 })
		}
		if (request.method === 'POST' && parts[0] === 'shards' && parts[2] === 'close') {
			const shard = Number(parts[1])
			const code = Number(url.searchParams.get('code') ?? 4000)
			const down = fake.closeShard(shard, code, { hold: url.searchParams.get('hold') === '1' })
			holds.set(shard, down)
			return Response.json({ shard, code, closed: down.closed })
		}
		if (request.method === 'POST' && parts[0] === 'shards' && parts[2] === 'release') {
			holds.get(Number(parts[1]))?.release()
			return Response.json({ shard: Number(parts[1]), released: true })
		}
		return Response.json({ error: 'unknown control route' }, { status: 404 })
	},
})

console.log(`DISCORD_API_URL=${fake.apiUrl}`)
console.log(`control: http://127.0.0.1:${control.port}`)
process.on('SIGINT', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
