/**
 * `npm pack` as a publisher runs it: from a clean copy of the repository's files (no stale `dist/`),
 * so the tarball holds only what `prepack` builds and `files` lets through. Packing a copy also keeps
 * parallel test files from rebuilding the same `dist/` at once.
 */
import { cpSync, mkdtempSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, runOk } from './process.js'

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Why packing is impossible on this machine, or `null` when npm and git are there. */
export async function packUnavailable (): Promise<string | null> {
  for (const [command, args] of [['npm', ['--version']], ['git', ['--version']]] as const) {
    try {
      const result = await run(command, [...args], { timeout: 30_000 })
      if (result.code !== 0) return `\`${command} --version\` exited with ${result.code}`
    } catch (err) {
      return `\`${command}\` cannot be run: ${(err as Error).message}`
    }
  }
  return null
}

/** A packed tarball in its own temporary directory. */
export interface Packed {
  tarball: string
  /** The file names `npm pack` put in the tarball. */
  files: string[]
  cleanup: () => void
}

/**
 * Copies the repository's files as `git` sees them in the working tree (tracked and unignored; or
 * the commit named by the PACK_REF environment variable) to a temporary directory, links the repo's
 * `node_modules` (the build needs typescript), and runs `npm pack` there (which builds: `prepack`).
 */
export async function packRepository (timeout = 120_000): Promise<Packed> {
  const root = mkdtempSync(join(tmpdir(), 'fpb-pack-'))
  const cleanup = () => rmSync(root, { recursive: true, force: true })
  try {
    const source = join(root, 'source')
    const out = join(root, 'out')
    mkdirSync(source)
    mkdirSync(out)
    const ref = process.env.PACK_REF
    if (ref !== undefined && ref !== '') {
      // PACK_REF=HEAD packs a commit instead of the working tree (e.g. while other edits are half done).
      const archive = join(root, 'source.tar')
      await runOk('git', ['archive', '--format=tar', '-o', archive, ref], { cwd: REPO, timeout: 30_000 })
      await runOk('tar', ['-xf', archive, '-C', source], { timeout: 30_000 })
    } else {
      const listed = await runOk('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO, timeout: 30_000 })
      for (const file of listed.stdout.split('\0')) {
        if (file === '' || !existsSync(join(REPO, file))) continue
        mkdirSync(dirname(join(source, file)), { recursive: true })
        cpSync(join(REPO, file), join(source, file))
      }
    }
    symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir')
    const packed = await runOk('npm', ['pack', '--json', '--pack-destination', out], { cwd: source, timeout })
    // `npm pack --json` prints the build's output first when `prepack` writes to stdout.
    const json = packed.stdout.slice(packed.stdout.indexOf('[\n'))
    const [info] = JSON.parse(json) as Array<{ filename: string, files: Array<{ path: string }> }>
    if (info === undefined) throw new Error(`npm pack printed no result: ${packed.stdout}`)
    return { tarball: join(out, info.filename), files: info.files.map((file) => file.path), cleanup }
  } catch (err) {
    cleanup()
    throw err
  }
}
