/**
 * Password hashes made at test time by Python's own libraries — Debian's python3-bcrypt and
 * python3-argon2, the C libraries under passlib's bcrypt backend and pwdlib — so that the tests
 * verify what a FastAPI app really stored, not what this package believes it stores.
 */
import { spawnSync } from 'node:child_process'

/** The formats {@link pythonHashes} makes, each of the same password. */
export interface PythonHashes {
  /** `$2b$`: passlib's CryptContext(schemes=["bcrypt"]), pwdlib's BcryptHasher, bcrypt.hashpw. */
  bcrypt2b: string
  /** `$2a$`: older bcrypt libraries. */
  bcrypt2a: string
  /** `$argon2id$` with argon2-cffi's PasswordHasher defaults (pwdlib's Argon2Hasher). */
  argon2id: string
  /** `$argon2i$` and `$argon2d$`, from argon2-cffi's low-level API. */
  argon2i: string
  argon2d: string
  /** passlib's pbkdf2_sha256 format, `$pbkdf2-sha256$<rounds>$<salt>$<checksum>` (adapted base64), from hashlib. */
  pbkdf2: string
}

// The password comes on stdin, so any bytes pass unquoted; bcrypt's cost is the first argument.
const SCRIPT = `
import base64, hashlib, json, os, sys
import argon2, bcrypt
from argon2.low_level import Type, hash_secret
password = sys.stdin.buffer.read()
rounds = int(sys.argv[1])
def ab64(data): return base64.b64encode(data).decode().rstrip('=').replace('+', '.')
def low(kind): return hash_secret(password, os.urandom(16), time_cost=2, memory_cost=8192, parallelism=1, hash_len=32, type=kind).decode()
salt = os.urandom(16)
print(json.dumps({
  'bcrypt2b': bcrypt.hashpw(password, bcrypt.gensalt(rounds=rounds)).decode(),
  'bcrypt2a': bcrypt.hashpw(password, bcrypt.gensalt(rounds=rounds, prefix=b'2a')).decode(),
  'argon2id': argon2.PasswordHasher().hash(password.decode()),
  'argon2i': low(Type.I),
  'argon2d': low(Type.D),
  'pbkdf2': '$pbkdf2-sha256$29000$%s$%s' % (ab64(salt), ab64(hashlib.pbkdf2_hmac('sha256', password, salt, 29000))),
}))
`

/** The Debian packages that provide what {@link SCRIPT} imports. */
export const PYTHON_PACKAGES = 'python3-bcrypt python3-argon2'

/**
 * A python3 that imports bcrypt and argon2: the one on PATH, else Debian's /usr/bin/python3 (where
 * apt installs the modules when another python3 comes first on PATH). `missing` says why there is none.
 */
export function findPython (): { python: string } | { missing: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import argon2, bcrypt'], { encoding: 'utf8', timeout: 30_000 })
    if (probe.status === 0) return { python }
  }
  return { missing: `no python3 with the bcrypt and argon2 modules (apt-get install ${PYTHON_PACKAGES})` }
}

/** Hashes `password` in every format of {@link PythonHashes}, bcrypt at cost `rounds`. */
export function pythonHashes (python: string, password: string, rounds: number): PythonHashes {
  const run = spawnSync(python, ['-c', SCRIPT, String(rounds)], { input: password, encoding: 'utf8', timeout: 60_000 })
  if (run.status !== 0) throw new Error(`python3 could not make the hashes: ${run.stderr}`)
  return JSON.parse(run.stdout) as PythonHashes
}

/** Whether argon2-cffi's PasswordHasher (what pwdlib's Argon2Hasher and passlib's argon2 call) verifies `hash`. */
export function pythonVerifies (python: string, hash: string, password: string): boolean {
  const script = 'import sys, argon2\ntry:\n  print(argon2.PasswordHasher().verify(sys.argv[1], sys.stdin.buffer.read()))\nexcept (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHash) as e:\n  print(type(e).__name__)'
  const run = spawnSync(python, ['-c', script, hash], { input: password, encoding: 'utf8', timeout: 60_000 })
  if (run.status !== 0) throw new Error(`python3 could not verify: ${run.stderr}`)
  return run.stdout.trim() === 'True'
}
