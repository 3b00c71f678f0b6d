/**
 * One process per on-disk PGlite directory (README "Database"). PGlite is PostgreSQL in
 * WebAssembly with no postmaster: two processes opening one directory each run their own
 * server over the same files, and writes are lost. So the directory is locked first.
 *
 * The lock is an exclusive `flock(2)` on `byte.lock` inside the directory, held for the
 * life of the process. The kernel grants it to exactly one process, even to two started
 * at the same instant, and drops it when the holder exits in any way (SIGKILL and crashes
 * included), so a lock left by a dead process is taken over without any staleness guess
 * (PID files go wrong when a container restarts and the new process reuses the old PID).
 * The file holds the holder's PID, so the refusal can name it.
 */
import { dlopen, FFIType, read } from 'bun:ffi'
import { ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export const LOCK_FILE = 'byte.lock'
const LOCK_EX = 2
const LOCK_NB = 4
const EWOULDBLOCK = process.platform === 'darwin' ? 35 : 11

/** Another live process holds the directory. */
export class DirectoryLockedError extends Error {
	override name = 'DirectoryLockedError'
	constructor(
		readonly path: string,
		/** The holder's PID, or undefined when it could not be read. */
		readonly holderPid: number | undefined,
	) {
		const holder = holderPid === undefined ? 'another process' : `another process (PID ${holderPid})`
		super(`DATABASE_URL: ${path} is in use by ${holder}; stop it, or give this process its own DATABASE_URL`)
	}
}

type Libc = { flock(fd: number, operation: number): number; errno(): number }
let libc: Libc | undefined

function loadLibc(): Libc {
	if (libc) return libc
	const darwin = process.platform === 'darwin'
	const errnoSymbol = darwin ? '__error' : '__errno_location'
	// glibc, then musl (Alpine images).
	const names = darwin
		? ['libSystem.B.dylib']
		: ['libc.so.6', `libc.musl-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}.so.1`]
	const open = (name: string) =>
		dlopen(name, {
			flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
			[errnoSymbol]: { args: [], returns: FFIType.ptr },
		})
	let library: ReturnType<typeof open> | undefined
	let failure: unknown
	for (const name of names) {
		try {
			library = open(name)
			break
		} catch (error) {
			failure = error
		}
	}
	if (!library) throw new Error(`cannot load the C library to lock the data directory: ${String(failure)}`)
	const { symbols } = library
	const errnoLocation = symbols[errnoSymbol] as () => number | null
	libc = {
		flock: (fd, operation) => (symbols.flock as (fd: number, op: number) => number)(fd, operation),
		errno: () => {
			const pointer = errnoLocation()
			return pointer === null ? 0 : read.i32(pointer as never, 0)
		},
	}
	return libc
}

/** The PID the holder wrote; it writes right after locking, so an empty file is re-read briefly. */
function readHolderPid(file: string): number | undefined {
	for (let attempt = 0; attempt < 50; attempt++) {
		const text = readFileSync(file, 'utf8').trim()
		if (/^\d+$/.test(text)) return Number(text)
		Bun.sleepSync(10)
	}
	return undefined
}

/**
 * Locks `directory` (which must exist) for this process, or throws DirectoryLockedError
 * naming the holder. The lock lasts until the process exits; the descriptor is kept open.
 */
export function lockDirectory(directory: string): void {
	const file = join(directory, LOCK_FILE)
	const fd = openSync(file, 'a+')
	const { flock, errno } = loadLibc()
	if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
		const code = errno()
		if (code !== EWOULDBLOCK) throw new Error(`flock(${file}) failed with errno ${code}`)
		throw new DirectoryLockedError(directory, readHolderPid(file))
	}
	ftruncateSync(fd, 0)
	writeSync(fd, `${process.pid}\n`, 0)
}
