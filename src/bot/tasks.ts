/**
 * Keeps the event handlers that are still running, so shutdown can wait for their API calls
 * (and the retries they may be in the middle of) for a bounded time and report the outcome.
 */

export interface DrainResult {
	/** Handlers that settled while shutdown waited. */
	finished: number
	/** Handlers still running when the bound was reached. */
	abandoned: number
}

export function createTaskTracker() {
	const pending = new Set<Promise<unknown>>()

	return {
		/** Adds a running task; it is forgotten once it settles. Never rejects on its behalf. */
		track(task: Promise<unknown>): void {
			const settled = task.then(
				() => undefined,
				() => undefined,
			)
			pending.add(settled)
			void settled.then(() => pending.delete(settled))
		},

		get size(): number {
			return pending.size
		},

		/** Waits up to `timeoutMs` for the tasks running now to settle. */
		async drain(timeoutMs: number): Promise<DrainResult> {
			const tasks = [...pending]
			let finished = 0
			for (const task of tasks) void task.then(() => finished++)
			let timer: Timer | undefined
			await Promise.race([
				Promise.all(tasks),
				new Promise((resolve) => {
					timer = setTimeout(resolve, timeoutMs)
				}),
			])
			clearTimeout(timer)
			// Let the `finished` counters of tasks that settled in the same tick run first.
			await Promise.resolve()
			return { finished, abandoned: tasks.length - finished }
		},
	}
}

export type TaskTracker = ReturnType<typeof createTaskTracker>
