/**
 * `bun run bench -- bot`: the bot's start-up sync at scale (README "Performance", "The bot at
 * scale"). The fake Discord (in this process) holds 10,000 guilds over 8 shards; the API runs
 * on PostgreSQL with an empty database; `bun src/bot/index.ts` starts with nothing set but
 * its URLs. Measured: from the first IDENTIFY the fake receives until the last shard's
 * `Guilds reconciled` line, i.e. until every guild is registered (checked in the API after).
 *
 *   bun run bench -- bot                          # 3 runs at the default BOT_SYNC_CONCURRENCY, 1 at 1
 *   bun run bench -- bot --reps=5 --concurrency=16,32
 *
 * Writes bench/results/bot.md and bench/results/bot.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { DEFAULT_SYNC_CONCURRENCY } from '../src/bot/shard-config'
import { type GuildSpec, spreadGuilds, startFakeDiscord } from '../tests/fakes/discord'
import { describeMachine } from './lib/machine'
import { ROOT, startServer } from './lib/server'

const GUILDS = 10_000
const SHARDS = 8
const TARGET_SECONDS = 10

interface Run {
	concurrency: number
	/** First IDENTIFY → last shard reconciled. */
	seconds: number
	/** First IDENTIFY → last `Shard ready` (every GUILD_CREATE received). */
	shardsReadySeconds: number
	registered: number
	apiCalls: number
}

const adminUrl = () => {
	const fromEnv = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
	return fromEnv && /^postgres(ql)?:\/\//.test(fromEnv) ? fromEnv : 'postgres://postgres@127.0.0.1:5432/postgres'
}

function parseArgs(argv: string[]) {
	const flags = new Map(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=') as [string, string]))
	const reps = Number(flags.get('reps') ?? 3)
	const list = (flags.get('concurrency') ?? String(DEFAULT_SYNC_CONCURRENCY)).split(',').map(Number)
	if (!Number.isInteger(reps) || reps < 1 || list.some((n) => !Number.isInteger(n) || n < 1)) {
		throw new Error('usage: bun run bench -- bot [--reps=N] [--concurrency=N[,N…]] [--no-baseline]')
	}
	return { reps, concurrencies: list, baseline: !flags.has('no-baseline') }
}

async function once(concurrency: number, guilds: GuildSpec[]): Promise<Run> {
	const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
	const name = `byte_bench_bot_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
	await admin.unsafe(`create database "${name}"`)
	const url = new URL(adminUrl())
	url.pathname = `/${name}`
	const machine = { ...describeMachine(), pinning: undefined }
	const api = await startServer(machine, {
		name: `bot-bench-api-${concurrency}`,
		args: ['src/index.ts'],
		env: { DATABASE_URL: url.toString() },
	})
	// max_concurrency 16, as Discord gives large bots: with 1, Discord spaces IDENTIFYs 5 s apart.
	const fake = startFakeDiscord({ guilds, recommendedShards: SHARDS, maxConcurrency: 16 })
	const bot = Bun.spawn(['bun', 'src/bot/index.ts'], {
		cwd: ROOT,
		env: {
			PATH: process.env.PATH ?? '',
			HOME: process.env.HOME ?? '',
			DISCORD_TOKEN: 'bench',
			DISCORD_API_URL: fake.apiUrl,
			API_URL: api.url,
			LOG_FORMAT: 'json',
			BOT_SYNC_CONCURRENCY: String(concurrency),
		},
		stdout: 'pipe',
		stderr: 'pipe',
	})
	// A bot that hangs ends the read below instead of the bench.
	const timer = setTimeout(() => bot.kill('SIGKILL'), 180_000)
	try {
		const reconciled: Array<{ timestamp: string; shard_id: number; created: number; failed: number }> = []
		const shardReady: string[] = []
		let apiCalls = 0
		let rest = ''
		const decoder = new TextDecoder()
		for await (const chunk of bot.stdout) {
			const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n')
			rest = lines.pop() ?? ''
			for (const line of lines) {
				if (line.includes('"API response"')) apiCalls++
				else if (line.includes('"Shard ready"')) shardReady.push(JSON.parse(line).timestamp)
				else if (line.includes('"Guilds reconciled"')) reconciled.push(JSON.parse(line))
				else if (line.includes('"level":"error"') || line.includes('"level":"critical"')) {
					throw new Error(`the bot logged an error: ${line}`)
				}
			}
			if (reconciled.length === SHARDS) break
		}
		if (reconciled.length < SHARDS) throw new Error(`the bot stopped early:\n${await new Response(bot.stderr).text()}`)
		const started = fake.firstIdentifyAt!
		const end = Math.max(...reconciled.map((l) => Date.parse(l.timestamp)))
		const total = (await (await fetch(`${api.url}/api/guilds?limit=1`)).json()) as { total: number }
		const failed = reconciled.reduce((sum, l) => sum + l.failed, 0)
		if (total.total !== GUILDS || failed > 0) throw new Error(`registered ${total.total} guilds, ${failed} failed`)
		return {
			concurrency,
			seconds: (end - started) / 1000,
			shardsReadySeconds: (Math.max(...shardReady.map((t) => Date.parse(t))) - started) / 1000,
			registered: total.total,
			apiCalls,
		}
	} finally {
		clearTimeout(timer)
		bot.kill('SIGKILL')
		await bot.exited
		await fake.stop()
		await api.stop()
		await admin.unsafe(`drop database if exists "${name}" with (force)`)
		await admin.end({ timeout: 2 })
	}
}

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b)
	const mid = sorted.length >> 1
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export async function runBotBench(argv: string[]): Promise<number> {
	const options = parseArgs(argv)
	const machine = describeMachine()
	const guilds = spreadGuilds(GUILDS)
	const before = loadavg()
	console.log(`bun run bench -- bot: ${machine.cpu}, ${machine.cores} cores; Bun ${machine.bun}`)
	console.log(`${GUILDS.toLocaleString('en')} guilds over ${SHARDS} shards; API on PostgreSQL; nothing pinned`)
	const runs: Run[] = []
	const plan = [...options.concurrencies.flatMap((c) => Array<number>(options.reps).fill(c))]
	if (options.baseline && !options.concurrencies.includes(1)) plan.push(1)
	for (const concurrency of plan) {
		const run = await once(concurrency, guilds)
		runs.push(run)
		console.log(
			`  BOT_SYNC_CONCURRENCY=${concurrency}: ${run.seconds.toFixed(2)} s (shards ready after ${run.shardsReadySeconds.toFixed(2)} s; ${run.apiCalls} API calls)`,
		)
	}
	const rows = [...new Set(plan)].map((concurrency) => {
		const mine = runs.filter((r) => r.concurrency === concurrency)
		return { concurrency, runs: mine.length, medianSeconds: median(mine.map((r) => r.seconds)), all: mine }
	})
	const main = rows.find((r) => r.concurrency === options.concurrencies[0])!
	const baseline = rows.find((r) => r.concurrency === 1)
	const pass = main.medianSeconds < TARGET_SECONDS
	const lines = [
		`# bun run bench -- bot`,
		'',
		`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB; Bun ${machine.bun}; ${machine.date}; load average before ${before.map((l) => l.toFixed(2)).join(' ')}`,
		'',
		`${GUILDS.toLocaleString('en')} guilds over ${SHARDS} shards (fake Discord, max_concurrency 16), API on PostgreSQL (empty database), \`bun src/bot/index.ts\`: first IDENTIFY → every guild registered.`,
		'',
		'| BOT_SYNC_CONCURRENCY | runs | median | each run | shards ready after |',
		'|---|---|---|---|---|',
		...rows.map(
			(r) =>
				`| ${r.concurrency} | ${r.runs} | ${r.medianSeconds.toFixed(2)} s | ${r.all.map((x) => x.seconds.toFixed(2)).join(', ')} s | ${r.all.map((x) => x.shardsReadySeconds.toFixed(2)).join(', ')} s |`,
		),
		'',
		`Target: under ${TARGET_SECONDS} s at BOT_SYNC_CONCURRENCY=${main.concurrency}: ${pass ? 'met' : 'NOT met'} (${main.medianSeconds.toFixed(2)} s)` +
			(baseline && baseline !== main
				? `; ${(baseline.medianSeconds / main.medianSeconds).toFixed(1)}× faster than one call at a time (${baseline.medianSeconds.toFixed(2)} s).`
				: '.'),
		'',
	]
	const report = lines.join('\n')
	console.log(`\n${report}`)
	const dir = join(ROOT, 'bench', 'results')
	mkdirSync(dir, { recursive: true })
	writeFileSync(join(dir, 'bot.md'), report)
	writeFileSync(
		join(dir, 'bot.json'),
		`${JSON.stringify({ machine, loadAverage: before, runs, rows, pass }, null, '\t')}\n`,
	)
	console.log('wrote bench/results/bot.md and bench/results/bot.json')
	return 0
}

if (import.meta.main) process.exit(await runBotBench(process.argv.slice(2)))
