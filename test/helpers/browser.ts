/**
 * Headless Chromium for end-to-end tests: Debian's `chromium` driven by playwright-core (no browser
 * download), with a fresh empty profile per launch.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** Where Debian's chromium package puts the browser; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags known to work on a headless Debian machine as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Why the browser cannot be launched here, or `null` when the executable is there. */
export function chromiumMissing (): string | null {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK)
    return null
  } catch {
    return `no executable Chromium at ${CHROMIUM_PATH} (install Debian's chromium package, or set CHROMIUM_PATH)`
  }
}

/** Launches Chromium with a new empty user data directory, deleted on `close()`. */
export async function launchChromium (): Promise<{ context: BrowserContext, close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'fpb-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000
    })
    return {
      context,
      close: async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      }
    }
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw err
  }
}
