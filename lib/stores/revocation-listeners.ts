/**
 * Calling a store's revocation listeners: each hears the revocation, and one that throws stops
 * none of the others.
 */
import type { Revocation, RevocationListener } from './token-store.js'

/** Calls every listener with `revocation`; returns what they threw, in order. */
export function notifyListeners (listeners: Iterable<RevocationListener>, revocation: Revocation): unknown[] {
  const errors: unknown[] = []
  for (const listener of listeners) {
    try {
      listener(revocation)
    } catch (err) {
      errors.push(err)
    }
  }
  return errors
}
