/**
 * A throw-away PostgreSQL server per test file, for tests that inject real outages
 * (stop it, restart it) without touching the machine's shared cluster.
 *
 * The server runs from a fresh `initdb` directory (trust auth, socket in /tmp) on a random
 * free port. As root, PostgreSQL's binaries refuse to run, so they run as the `postgres`
 * user. Under CI=true a missing PostgreSQL installation fails the test; elsewhere it skips.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { freePort } from './process'

/** Directory holding initdb/pg_ctl: PG_BIN, the newest /usr/lib/postgresql/<v>/bin, or PATH. */
export function postgresBinDir(): string | null {
	const fromEnv = process.env.PG_BIN
	if (fromEnv && existsSync(join(fromEnv, 'pg_ctl'))) return fromEnv
	const root = '/usr/lib/postgresql'
	if (existsSync(root)) {
		const versions = readdirSync(root)
			.filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
			.sort((a, b) => Number(b) - Number(a))
		if (versions[0]) return join(root, versions[0], 'bin')
	}
	const onPath = Bun.which('pg_ctl')
	return onPath ? onPath.slice(0, -'/pg_ctl'.length) : null
}

/**
 * Whether tests needing their own server run. Under CI=true a missing binary throws;
 * elsewhere it prints why the tests are skipped.
 */
export function requirePostgresBinaries(suite: string): boolean {
	if (postgresBinDir()) return true
	const message = `${suite}: PostgreSQL server binaries (initdb, pg_ctl) not found`
	if (process.env.CI === 'true') throw new Error(`${message}; required in CI`)
	console.warn(`${message}; skipping (install postgresql or set PG_BIN)`)
	return false
}

export interface PgServerOptions {
	/**
	 * Require this password over TCP (scram-sha-256) instead of trust auth; the `url`s then
	 * carry it. Local socket connections stay trusted.
	 */
	password?: string
}

export interface PgServer {
	readonly port: number
	/** `postgres://postgres[:password]@127.0.0.1:<port>/postgres` */
	readonly url: string
	/** URL of another database on this server (`user:password` overrides the credentials). */
	urlFor(database: string, credentials?: string): string
	/** The server's own log: connections, disconnections and (at DEBUG1) a client's unexpected EOF. */
	log(): string
	/** Starts the server; a no-op while it runs. */
	start(): Promise<void>
	/** `fast` (default) ends sessions and shuts down cleanly; `immediate` is a crash. */
	stop(mode?: 'fast' | 'immediate'): Promise<void>
	restart(): Promise<void>
	/** Stops the server (if running) and deletes its data directory. Safe to call twice. */
	destroy(): Promise<void>
	/** SIGSTOPs the postmaster and its backends: a hung server that still accepts TCP. */
	freeze(): Promise<void>
	/** SIGCONTs what freeze() stopped. */
	thaw(): void
	/** A small admin client (one connection) for locks and checks; ended by destroy(). */
	admin(): postgres.Sql
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0

async function run(bin: string, args: string[]): Promise<void> {
	const argv = asRoot ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args]
	const proc = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
	const [out, err, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}:\n${out}${err}`)
}

/** initdb's a fresh cluster and starts it; call destroy() in afterAll. */
export async function createPgServer(options: PgServerOptions = {}): Promise<PgServer> {
	const bin = postgresBinDir()
	if (!bin) throw new Error('PostgreSQL server binaries not found')
	const dir = mkdtempSync(join(tmpdir(), 'byte-pg-'))
	const data = join(dir, 'data')
	if (asRoot) {
		const { uid, gid } = await postgresIds()
		chownSync(dir, uid, gid)
	}
	const port = await freePort()
	const auth = ['-A', 'trust']
	if (options.password !== undefined) {
		const pwfile = join(dir, 'pwfile')
		await Bun.write(pwfile, `${options.password}\n`)
		if (asRoot) {
			const { uid, gid } = await postgresIds()
			chownSync(pwfile, uid, gid)
		}
		auth.splice(0, 2, '--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${pwfile}`)
	}
	await run(join(bin, 'initdb'), ['-D', data, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
	const userinfo = options.password === undefined ? 'postgres' : `postgres:${encodeURIComponent(options.password)}`
	const urlFor = (database: string, credentials = userinfo) => `postgres://${credentials}@127.0.0.1:${port}/${database}`
	const url = urlFor('postgres')
	let running = false
	let admin: postgres.Sql | undefined
	let frozen: number[] = []

	const server: PgServer = {
		port,
		url,
		urlFor,
		log: () => {
			try {
				return readFileSync(join(dir, 'server.log'), 'utf8')
			} catch {
				return ''
			}
		},
		async start() {
			if (running) return
			await run(join(bin, 'pg_ctl'), [
				'-D',
				data,
				'-l',
				join(dir, 'server.log'),
				'-w',
				'-t',
				'30',
				'-o',
				`-c listen_addresses=127.0.0.1 -p ${port} -k /tmp -c fsync=off -c log_connections=on -c log_disconnections=on -c log_min_messages=debug1`,
				'start',
			])
			running = true
		},
		async stop(mode = 'fast') {
			if (!running) return
			await run(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'])
			running = false
		},
		async restart() {
			await server.stop()
			await server.start()
		},
		async freeze() {
			frozen = await serverPids(data)
			for (const pid of frozen) process.kill(pid, 'SIGSTOP')
		},
		thaw() {
			for (const pid of frozen.splice(0)) {
				try {
					process.kill(pid, 'SIGCONT')
				} catch {
					// already gone
				}
			}
		},
		async destroy() {
			server.thaw()
			await admin?.end({ timeout: 1 }).catch(() => {})
			admin = undefined
			await server.stop('immediate').catch(() => {})
			rmSync(dir, { recursive: true, force: true })
		},
		admin() {
			admin ??= postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
			return admin
		},
	}
	await server.start()
	return server
}

/** The postmaster (from postmaster.pid) and its direct children; never anything else. */
async function serverPids(data: string): Promise<number[]> {
	const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
	if (!Number.isInteger(postmaster) || postmaster <= 1) throw new Error(`bad postmaster pid ${postmaster}`)
	const ps = Bun.spawn(['ps', '-o', 'pid=', '--ppid', String(postmaster)], { stdout: 'pipe' })
	const children = (await new Response(ps.stdout).text())
		.split('\n')
		.map((s) => Number(s.trim()))
		.filter((pid) => Number.isInteger(pid) && pid > 1)
	return [postmaster, ...children]
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
	const [uid, gid] = await Promise.all(
		['-u', '-g'].map(async (flag) =>
			Number((await new Response(Bun.spawn(['id', flag, 'postgres']).stdout).text()).trim()),
		),
	)
	return { uid: uid as number, gid: gid as number }
}

/**
 * Takes `lock table guild in access exclusive mode` on `holder` (a one-connection client)
 * and keeps it until the returned `release()`, so API queries block inside PostgreSQL.
 */
export async function lockGuildTable(holder: postgres.Sql): Promise<() => Promise<void>> {
	const locked = Promise.withResolvers<void>()
	const released = Promise.withResolvers<void>()
	const transaction = holder
		.begin(async (tx) => {
			await tx`lock table guild in access exclusive mode`
			locked.resolve()
			await released.promise
		})
		.catch(() => {})
	await locked.promise
	return async () => {
		released.resolve()
		await transaction
	}
}
