/**
 * A real install: `npm pack` the package, install the tarball into two fresh apps outside the
 * repository, type-check them as their own tsc would under each module resolution, and run them.
 * Catches a missing `files` entry, broken `exports`, published types that only compile under some
 * settings, a `dist/` that `prepack` does not build, an install script, and a README snippet that
 * does not run as written.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { packRepository, packUnavailable, REPO } from '../helpers/pack.js'
import { cleanEnv, run, runOk, startServer, type RunningServer, type RunResult } from '../helpers/process.js'

const TIME_BOX_MS = 360_000
const STEP_MS = 150_000
const FIXTURES = join(REPO, 'test', 'fixtures')
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')

t.setTimeout(TIME_BOX_MS)

const lanes: Array<Promise<unknown>> = []
/** Runs `job` in lane `i % count`, after the jobs queued there before it (CPU-bound jobs, few cores). */
function inLanes<T> (count: number, i: number, job: () => Promise<T>): Promise<T> {
  const result = (lanes[i % count] ?? Promise.resolve()).then(job)
  lanes[i % count] = result.catch(() => {})
  return result
}

const unavailable = await packUnavailable()
// Skipped only where npm pack cannot run at all, and never in CI.
const skip = unavailable !== null && process.env.CI !== 'true' ? `npm pack is impossible here: ${unavailable}` : false

t.test('the packed tarball installs into fresh apps outside the repository and works there', { skip }, async (t) => {
  const packed = await packRepository(STEP_MS)
  const root = mkdtempSync(join(tmpdir(), 'fpb-consumers-'))
  t.teardown(() => {
    rmSync(root, { recursive: true, force: true })
    packed.cleanup()
  })

  t.test('the tarball ships both builds with their types, and no sources or tests', async (t) => {
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/package.json', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'package.json', 'README.md']) {
      t.ok(packed.files.includes(file), `${file} is in the tarball`)
    }
    t.same(packed.files.filter((file) => /^(lib|test|examples|bench|scripts)\//.test(file)), [], 'no sources, tests or scripts')
  })

  const install = async (dir: string, packageJson: Record<string, unknown>, extra: string[]) => {
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, ...packageJson }, null, 2))
    // At the warn level: npm lists there the packages whose install scripts await approval.
    return await runOk('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', packed.tarball, 'fastify@5', ...extra],
      { cwd: dir, timeout: STEP_MS })
  }
  const esmDir = join(root, 'esm-ts-app')
  const cjsDir = join(root, 'cjs-app')
  // Both installs at once: they share npm's cache and most of the time is network and disk.
  const [esmInstall] = await Promise.all([
    install(esmDir, { name: 'esm-ts-app', type: 'module' }, ['@types/node@20']),
    install(cjsDir, { name: 'cjs-app', type: 'commonjs' }, ['@types/node@20'])
  ])
  copyFileSync(join(FIXTURES, 'consumer-esm-ts', 'app.ts'), join(esmDir, 'app.ts'))
  copyFileSync(join(FIXTURES, 'consumer-esm-ts', 'tsconfig.json'), join(esmDir, 'tsconfig.json'))
  for (const dir of [esmDir, cjsDir]) {
    for (const file of readdirSync(join(FIXTURES, 'consumer-types'))) copyFileSync(join(FIXTURES, 'consumer-types', file), join(dir, file))
  }

  // A consumer's own tsc with skipLibCheck false, under each module resolution an app may use; each
  // config must read the .d.ts files of the build named. test/fixtures/consumer-types/check.ts narrows
  // the error classes with instanceof and cannot compile where one of them is `any`, which the control
  // shows: check.ts against a stand-in package whose exports are all `any`.
  const TYPE_CHECKS = [
    { config: 'tsconfig.nodenext.json', dir: esmDir, build: 'esm', setting: 'NodeNext, an ES module app' },
    { config: 'tsconfig.node16-cjs.json', dir: cjsDir, build: 'cjs', setting: 'Node16, a CommonJS app ("type": "commonjs")' },
    { config: 'tsconfig.node10-cjs.json', dir: cjsDir, build: 'cjs', setting: 'Node10 (`moduleResolution: node`), CommonJS' },
    { config: 'tsconfig.bundler-esnext.json', dir: esmDir, build: 'esm', setting: 'Bundler with module ESNext' },
    { config: 'tsconfig.bundler-preserve.json', dir: esmDir, build: 'esm', setting: 'Bundler with module Preserve' },
    { config: 'tsconfig.bundler-require.json', dir: esmDir, build: 'cjs', setting: 'Bundler with module Preserve, `import = require`' }
  ] as const
  const anyExports = ['fastifyPasswordBearer', 'InvalidOptionError', 'UnknownScopeError', 'InvalidHashError', 'InvalidPasswordError', 'UserStoreError', 'UserStoreTimeoutError']
  mkdirSync(join(esmDir, 'any-types'))
  writeFileSync(join(esmDir, 'any-types', 'index.d.ts'), [
    'declare const anything: any',
    'export default anything',
    `export { ${anyExports.map((name) => `anything as ${name}`).join(', ')} }`,
    'export type PasswordBearerErrorCode = string',
    ''
  ].join('\n'))
  writeFileSync(join(esmDir, 'tsconfig.control.json'), JSON.stringify({
    extends: './tsconfig.bundler-esnext.json',
    compilerOptions: { paths: { 'fastify-password-bearer': ['./any-types/index.d.ts'] } },
    files: ['check.ts']
  }))
  // Started now, two at a time, while the apps below run; each subtest awaits its own.
  const jobs = [...TYPE_CHECKS, { config: 'tsconfig.control.json', dir: esmDir }]
  const typeChecks = new Map<string, Promise<RunResult>>(jobs.map(({ config, dir }, i) => [config, inLanes(2, i, async () =>
    await run(process.execPath, [TSC, '-p', config, '--listFiles'], { cwd: dir, timeout: STEP_MS }))] as const))

  t.test('installing the package runs nothing: npm lists no install script of it to approve', async (t) => {
    const installed = JSON.parse(readFileSync(join(esmDir, 'node_modules', 'fastify-password-bearer', 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
      t.equal(installed.scripts?.[script], undefined, `no "${script}" script in the published package.json`)
    }
    t.ok(installed.scripts?.prepack, 'the build runs on prepack (npm pack and npm publish)')
    // npm 11 ends an install with the packages whose scripts are not in allowScripts (argon2 builds).
    const listed = (esmInstall.stdout + esmInstall.stderr).split('\n').filter((line) => line.includes('install-scripts'))
    t.ok(listed.some((line) => /\bargon2@/.test(line)), 'npm lists the install scripts awaiting approval (argon2 builds at install)')
    t.same(listed.filter((line) => line.includes('fastify-password-bearer')), [], 'and none of this package')
  })

  t.test('the installed source maps carry their sources (lib/ is not published)', async (t) => {
    const installed = join(cjsDir, 'node_modules', 'fastify-password-bearer')
    const maps = packed.files.filter((file) => file.endsWith('.js.map'))
    t.ok(maps.length > 0, 'source maps are published')
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(installed, file), 'utf8')) as { sources: string[], sourcesContent?: unknown[] }
      t.equal(map.sourcesContent?.length, map.sources.length, `${file} embeds its sources`)
    }
  })

  /** Logs in as alice, calls /me with and without the token. */
  async function exercise (t: Test, server: RunningServer): Promise<Record<string, unknown>> {
    const login = await fetch(`${server.address}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'secret' })
    })
    t.equal(login.status, 200, 'login answers 200')
    const token = await login.json() as { access_token: string, token_type: string, scope: string }
    t.equal(token.token_type, 'Bearer')
    t.equal(token.scope, 'items:read')

    const me = await fetch(`${server.address}/me`, { headers: { authorization: `Bearer ${token.access_token}` } })
    t.equal(me.status, 200, 'the protected route answers 200 with the token')
    const body = await me.json() as Record<string, unknown>

    const anonymous = await fetch(`${server.address}/me`)
    t.equal(anonymous.status, 401, 'the protected route answers 401 without a token')
    t.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="api"')
    return body
  }

  t.test('an ESM TypeScript app (NodeNext, strict, default import, augmented user type) compiles and runs', async (t) => {
    // Type-checks everything the app sees, the published .d.ts files included (noEmitOnError).
    await runOk(process.execPath, [TSC, '-p', 'tsconfig.json', '--strict', '--skipLibCheck', 'false'], { cwd: esmDir, timeout: STEP_MS })
    t.pass('tsc --strict passes with skipLibCheck false, and the @ts-expect-error line is an error')

    // The control: without the app's augmentation, `email` is not on the user type.
    const source = readFileSync(join(esmDir, 'app.ts'), 'utf8')
    const unaugmented = source.replace(/declare module 'fastify-password-bearer' \{[^]*?\n\}\n/, '')
    t.not(unaugmented, source, 'the control removes the augmentation')
    writeFileSync(join(esmDir, 'control.ts'), unaugmented)
    const control = await run(process.execPath, [TSC, '--strict', '--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', 'control.ts'],
      { cwd: esmDir, timeout: STEP_MS })
    t.not(control.code, 0, 'tsc refuses the app without its augmentation')
    t.match(control.stdout, /control\.ts\(\d+,\d+\): error TS2339: Property 'email' does not exist/)
    rmSync(join(esmDir, 'control.ts'))

    const server = await startServer([join('build', 'app.js')], { cwd: esmDir })
    t.teardown(server.stop)
    const body = await exercise(t, server)
    t.same(body, { email: 'alice@example.com', username: 'alice', phone: null }, 'currentUser.email comes from loadUser')
  })

  t.test('the type check is not passed by `any`: check.ts against error classes typed `any` fails', async (t) => {
    const control = await typeChecks.get('tsconfig.control.json')
    t.not(control?.code, 0, 'tsc refuses check.ts when the classes are `any`')
    t.match(control?.stdout, /check\.ts\(\d+,\d+\): error TS2578: Unused '@ts-expect-error' directive/)
    t.match(control?.stdout, /check\.ts\(\d+,\d+\): error TS2322: Type 'false' is not assignable to type 'true'/)
  })

  for (const { config, build, setting } of TYPE_CHECKS) {
    t.test(`the published types compile under ${setting}, skipLibCheck false, error classes narrowed by instanceof`, async (t) => {
      const result = await typeChecks.get(config)
      t.equal(result?.code, 0, `tsc -p ${config} passes`)
      if (result?.code !== 0) t.comment(`${result?.stdout}${result?.stderr}`)
      const read = (result?.stdout ?? '').split('\n').filter((file) => file.includes('/node_modules/fastify-password-bearer/'))
      t.ok(read.some((file) => file.endsWith(`/dist/${build}/errors.d.ts`)), `the ${build} build's .d.ts files are checked`)
      t.same(read.filter((file) => !file.includes(`/dist/${build}/`)), [], 'and no other build\'s')
    })
  }

  t.test('the README snippet compiles and runs as written, with a JWT_SECRET made the way the README says', async (t) => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Use it in your app'))
    const snippet = /```ts\n([^]*?)```/.exec(section)?.[1]
    const secretLine = /^export JWT_SECRET=.*$/m.exec(section)?.[0]
    if (snippet === undefined || secretLine === undefined) throw new Error('README.md: "Use it in your app" has no ts snippet or no `export JWT_SECRET=` line')
    t.ok(section.indexOf(secretLine) < section.indexOf('```ts'), 'the README says how to make JWT_SECRET before the snippet that needs it')

    // The README's command, run by a shell as a reader would.
    const made = await runOk('sh', ['-c', `${secretLine} && printf '%s' "$JWT_SECRET"`], { timeout: 30_000 })
    const secret = made.stdout
    t.ok(Buffer.from(secret, 'base64url').length >= 32, 'it makes a secret of at least 32 bytes')
    t.match(secret, /^[A-Za-z0-9_-]+$/, 'of characters that need no quoting')

    // The snippet listens on port 3000; here on a free port, the one change.
    const runnable = snippet.replace('app.listen({ port: 3000 })', "app.listen({ port: 0, host: '127.0.0.1' })")
    t.not(runnable, snippet, 'the listen line was found')
    writeFileSync(join(esmDir, 'readme.ts'), runnable)
    await runOk(process.execPath, [TSC, '--strict', '--skipLibCheck', 'false', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--outDir', 'readme-build', 'readme.ts'],
      { cwd: esmDir, timeout: STEP_MS })

    const listening = (line: string) => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] ?? null
    const server = await startServer([join('readme-build', 'readme.js')], { cwd: esmDir, env: cleanEnv({ JWT_SECRET: secret }), address: listening })
    t.teardown(server.stop)
    // The README's two curl lines.
    const login = await fetch(`${server.address}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'secret' }) })
    t.equal(login.status, 200, 'the login answers 200')
    const { access_token: token } = await login.json() as { access_token: string }
    const me = await fetch(`${server.address}/users/me`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(me.status, 200, '/users/me answers 200 with the token')
    t.match(await me.json(), { id: '1', username: 'alice', scopes: ['items:read'] }, 'with alice')

    // Without it, the plugin refuses to start and says what the secret must be.
    const unset = await run(process.execPath, [join('readme-build', 'readme.js')], { cwd: esmDir, env: cleanEnv({ JWT_SECRET: undefined }), timeout: 30_000 })
    t.not(unset.code, 0, 'without JWT_SECRET the snippet stops')
    t.match(unset.stderr, /invalid option "secret"/)
    t.match(unset.stderr, /code: 'FST_PWB_INVALID_OPTION'/)
  })

  for (const style of ['default', 'named'] as const) {
    t.test(`a CommonJS JavaScript app reaches the plugin through require(...).${style === 'default' ? 'default' : 'fastifyPasswordBearer'}`, async (t) => {
      copyFileSync(join(FIXTURES, 'consumer-cjs', 'app.cjs'), join(cjsDir, 'app.cjs'))
      const server = await startServer(['app.cjs'], { cwd: cjsDir, env: cleanEnv({ IMPORT_STYLE: style }) })
      t.teardown(server.stop)
      const body = await exercise(t, server)
      t.same(body, { username: 'alice', style })
    })
  }

  /** Runs `lines` as a CommonJS script in the CommonJS app; what it prints, parsed as JSON. */
  async function runInCjsApp (file: string, lines: string[]): Promise<unknown> {
    writeFileSync(join(cjsDir, file), lines.join('\n'))
    const { stdout } = await runOk(process.execPath, [file], { cwd: cjsDir, timeout: 30_000 })
    return JSON.parse(stdout)
  }

  t.test('the ESM and CommonJS entries are the same plugin with the same named exports', async (t) => {
    const result = await runInCjsApp('exports.cjs', [
      "const cjs = require('fastify-password-bearer')",
      "import('fastify-password-bearer').then((esm) => {",
      '  const names = (m) => Object.keys(m).filter((k) => k !== "__esModule").sort()',
      '  console.log(JSON.stringify({ cjs: names(cjs), esm: names(esm), esmDefault: typeof esm.default, cjsDefault: typeof cjs.default,',
      "    cjsMeta: cjs.default[Symbol.for('plugin-meta')], esmMeta: esm.default[Symbol.for('plugin-meta')] }))",
      '})'
    ]) as { cjs: string[], esm: string[], esmDefault: string, cjsDefault: string, cjsMeta: { name: string }, esmMeta: { name: string } }
    t.same(result.cjs, result.esm, 'same export names from require and import')
    t.ok(result.esm.includes('fastifyPasswordBearer'))
    t.ok(result.esm.includes('hashPassword'))
    t.equal(result.esmDefault, 'function')
    t.equal(result.cjsDefault, 'function')
    t.equal(result.esmMeta.name, 'fastify-password-bearer')
    t.equal(result.cjsMeta.name, 'fastify-password-bearer')
  })

  t.test('bcrypt is an optional peer: not installed with the package, and bcryptVerifier() without it fails registration with FST_PWB_MISSING_PEER', async (t) => {
    t.same(await runInCjsApp('bcrypt-missing.cjs', [
      "const Fastify = require('fastify')",
      'let installed = true',
      "try { require.resolve('bcrypt') } catch { installed = false }",
      'async function attempt (pkg) {',
      '  const app = Fastify()',
      "  app.register(pkg.default, { secret: 'x'.repeat(32), users: { findByUsername: async () => null }, legacyVerifiers: [pkg.bcryptVerifier()] })",
      '  return app.ready().then(() => null, (err) => err.code)',
      '}',
      "Promise.all([attempt(require('fastify-password-bearer')), import('fastify-password-bearer').then(attempt)])",
      '  .then(([cjs, esm]) => console.log(JSON.stringify({ installed, cjs, esm })))'
    ]), { installed: false, cjs: 'FST_PWB_MISSING_PEER', esm: 'FST_PWB_MISSING_PEER' })
  })
})
