/**
 * Loaded before every test file (bunfig.toml). Tests that open PGlite (2–4 s) or start
 * real processes need more than Bun's 5 s default on a busy 2-core machine.
 */
import { setDefaultTimeout } from 'bun:test'

setDefaultTimeout(30_000)
