/**
 * In-memory PGlite (`DATABASE_URL=memory://`) started from a snapshot of a freshly
 * initialised cluster rather than running initdb each time: initdb is ~5 s of WASM on a
 * 2-core machine, loading the snapshot well under 1 s (README.md, "Performance").
 *
 * The first start makes the snapshot (PGlite's own dumpDataDir, right after initdb and
 * before anything touches the database) and keeps it in the user's cache directory
 * (`$XDG_CACHE_HOME` or `~/.cache`, then `byte/`), named after the PGlite version. A
 * snapshot that cannot be read or loaded is ignored and made again; a cache directory that
 * cannot be written only means the next start runs initdb too. Migrations still run on
 * every start, so the snapshot never holds schema or data.
 */
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'

/** Where the snapshot for the installed PGlite lives, or undefined when there is no cache directory. */
export function snapshotPath(env: Record<string, string | undefined> = process.env): string | undefined {
	try {
		const base = env.XDG_CACHE_HOME || join(homedir(), '.cache')
		const entry = Bun.resolveSync('@electric-sql/pglite', import.meta.dir)
		const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
			version: string
		}
		return join(base, 'byte', `pglite-${version}-initdb.tar.gz`)
	} catch {
		return undefined
	}
}

async function saveSnapshot(db: PGlite, file: string): Promise<void> {
	const temporary = `${file}.${process.pid}.tmp`
	try {
		const snapshot = await db.dumpDataDir('gzip')
		mkdirSync(dirname(file), { recursive: true })
		await Bun.write(temporary, snapshot)
		// Atomic, so processes starting together never read half a snapshot.
		renameSync(temporary, file)
	} catch {
		rmSync(temporary, { force: true })
	}
}

/**
 * The snapshot as an uncompressed tarball, or undefined when it is missing or damaged.
 * Inflating it here checks its CRC before PGlite sees it (PGlite leaves a rejected promise
 * behind on a bad archive) and is faster than PGlite's own inflate (~50 ms for 40 MB).
 */
async function readSnapshot(file: string): Promise<Blob | undefined> {
	try {
		const tar = Bun.gunzipSync(new Uint8Array(await Bun.file(file).arrayBuffer()))
		const ustar = new TextDecoder().decode(tar.subarray(257, 262))
		return ustar === 'ustar' ? new Blob([tar]) : undefined
	} catch {
		return undefined
	}
}

/** A new in-memory PGlite with an initialised, empty cluster. */
export async function createMemoryPglite(): Promise<PGlite> {
	const file = snapshotPath()
	const snapshot = file === undefined ? undefined : await readSnapshot(file)
	if (snapshot !== undefined) {
		try {
			return await PGlite.create({ loadDataDir: snapshot })
		} catch {
			// Made by another build of PGlite: initdb below, then a fresh snapshot.
		}
	}
	const db = await PGlite.create()
	if (file !== undefined) await saveSnapshot(db, file)
	return db
}
