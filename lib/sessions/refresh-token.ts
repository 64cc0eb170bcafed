/**
 * The refresh token's layout: opaque base64url text made of the user's shard key, the family id and
 * 256 random bits. Stores see only its SHA-256 (plus the two public parts that say where the family
 * lives); the token itself is handed to the client once and never kept or logged.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { RefreshTokenRef } from '../stores/token-store.js'

/** Characters of each part: the shard key (6 bytes), the family id (12 bytes), the secret (32 bytes). */
const SHARD_CHARS = 8
const FAMILY_CHARS = 16
const SECRET_CHARS = 43
/** The length of every refresh token this plugin issues. */
export const REFRESH_TOKEN_LENGTH = SHARD_CHARS + FAMILY_CHARS + SECRET_CHARS

const BASE64URL = /^[A-Za-z0-9_-]+$/

/**
 * The shard key of a subject: 48 bits of its SHA-256, the same for every family of that user. A
 * sharded store places a user's families and not-before time by it (Redis Cluster hash tags), so
 * that ending all of them is one atomic operation. It identifies no one: distinct users may share one.
 *
 * @example shardKey('u-42') // 'kR1x0Qd2' (8 base64url characters)
 */
export function shardKey (subject: string): string {
  return createHash('sha256').update(subject).digest().subarray(0, 6).toString('base64url')
}

/** SHA-256 of a refresh token, base64url: the only form in which a store keeps it. */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** A new family id: 96 random bits. */
export function newFamilyId (): string {
  return randomBytes(12).toString('base64url')
}

/** A fresh refresh token of `family` for the user of shard key `shard`, and its reference. */
export function newRefreshToken (shard: string, family: string): { token: string, ref: RefreshTokenRef } {
  const token = shard + family + randomBytes(32).toString('base64url')
  return { token, ref: { shard, family, hash: hashRefreshToken(token) } }
}

/**
 * Reads a presented refresh token: its reference when it has the shape of ours, `undefined`
 * otherwise (a malformed token gets the same answer as an unknown one).
 */
export function parseRefreshToken (token: string): RefreshTokenRef | undefined {
  if (token.length !== REFRESH_TOKEN_LENGTH || !BASE64URL.test(token)) return undefined
  return {
    shard: token.slice(0, SHARD_CHARS),
    family: token.slice(SHARD_CHARS, SHARD_CHARS + FAMILY_CHARS),
    hash: hashRefreshToken(token)
  }
}
