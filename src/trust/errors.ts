/** Errors of the trust area. Callers branch on `err.name`, then on `check`. */

/**
 * Which check a credential failed: the reason an `AuthenticationError` names.
 * - `missing`: no credential was presented;
 * - `malformed`: not a JWT of the expected kind;
 * - `signature`: the signature does not verify with the key it names;
 * - `untrusted-issuer`: signed by a key this mesh does not trust;
 * - `outside-prefix`: an issuer signed for a name outside the prefix it was delegated;
 * - `expired` / `not-yet-valid`: outside its validity;
 * - `key-mismatch`: it is for another key than the one that signs the session proof;
 * - `name-not-granted`: the requested name is not the one it grants;
 * - `revoked`: the authority or its issuer revoked it;
 * - `wrong-mesh`: a relay credential of another mesh;
 * - `not-admin`: an admin credential is required.
 */
export type CredentialCheck =
  | 'missing' | 'malformed' | 'signature' | 'untrusted-issuer' | 'outside-prefix'
  | 'expired' | 'not-yet-valid' | 'key-mismatch' | 'name-not-granted' | 'revoked'
  | 'wrong-mesh' | 'not-admin'

/** A credential (or revocation, or delegation) that does not pass a check. */
export class CredentialError extends Error {
  readonly check: CredentialCheck
  constructor (check: CredentialCheck, message: string, options?: ErrorOptions) {
    super(`credential refused (${check}): ${message}`, options)
    this.name = 'CredentialError'
    this.check = check
  }
}

/** Trust settings that cannot work (a missing authority, a bad JWKS, an unreadable key file). */
export class TrustConfigError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'TrustConfigError' }
}

/** A name pattern that is not `org/namespace/service` with `*` and a trailing `**`. */
export class InvalidPatternError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'InvalidPatternError' }
}
