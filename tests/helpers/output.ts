/**
 * Waiting on what a child process (or an in-process sink) writes, as it arrives: checks run
 * again each time more output comes in, never on a timer.
 */

/** Wakes the waiters each time `notify()` is called. */
export class Changes {
	private next: Promise<void>
	private wake: () => void = () => {}

	constructor() {
		this.next = new Promise((resolve) => (this.wake = resolve))
	}

	notify(): void {
		const wake = this.wake
		this.next = new Promise((resolve) => (this.wake = resolve))
		wake()
	}

	/** Resolves at the next `notify()`, or after `ms`. */
	async wait(ms: number): Promise<void> {
		let timer: Timer | undefined
		await Promise.race([this.next, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
		clearTimeout(timer)
	}
}

/** What a stream has said so far; `changes` fires at each chunk and at its end. */
export interface Collected {
	readonly text: string
	readonly ended: boolean
	readonly changes: Changes
	/** Resolves once the stream has ended and everything is read. */
	readonly done: Promise<void>
}

export function collect(stream: ReadableStream<Uint8Array>): Collected {
	const changes = new Changes()
	const state = { text: '', ended: false, changes, done: Promise.resolve() }
	state.done = (async () => {
		const decoder = new TextDecoder()
		try {
			for await (const chunk of stream) {
				state.text += decoder.decode(chunk, { stream: true })
				changes.notify()
			}
		} finally {
			state.ended = true
			changes.notify()
		}
	})()
	return state
}

/**
 * Resolves with the first value `check` returns that is not undefined, trying again each
 * time `changes` fires; rejects with `describe()` after `timeoutMs`, or at once when
 * `gone()` says nothing more will come.
 */
export async function waitForChange<T>(
	changes: Changes,
	check: () => T | undefined,
	timeoutMs: number,
	describe: () => string,
	gone: () => boolean = () => false,
): Promise<T> {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		const found = check()
		if (found !== undefined) return found
		const left = deadline - Date.now()
		if (gone() || left <= 0) throw new Error(describe())
		await changes.wait(left)
	}
}

/** The text's lines that parse as JSON objects. */
export function jsonLines(text: string): Record<string, any>[] {
	const out: Record<string, any>[] = []
	for (const line of text.split('\n')) {
		if (line.trim() === '') continue
		try {
			const parsed = JSON.parse(line)
			if (parsed && typeof parsed === 'object') out.push(parsed)
		} catch {
			// not a JSON line (yet)
		}
	}
	return out
}
