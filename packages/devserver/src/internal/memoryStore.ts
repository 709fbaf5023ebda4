import type { Adapter, AdapterPayload } from "oidc-provider"

interface Entry {
  readonly model: string
  readonly payload: AdapterPayload
  readonly expiresAt: number
}

/**
 * Expired entries are kept this long past their expiry so that oidc-provider, which checks expiry
 * itself, can still answer `expired_token` (device codes) rather than "not found".
 */
const GRACE_MS = 5 * 60_000
const SWEEP_EVERY_MS = 10_000

/**
 * One server's storage. oidc-provider's own MemoryAdapter keeps a single LRU of 1,000 entries for
 * the whole process, so a busy test could evict live refresh tokens, and two servers in one process
 * would share it. This store belongs to one server, never evicts a live entry, and can list grants
 * (which `revokeGrants` needs).
 */
export class MemoryStore {
  private readonly entries = new Map<string, Entry>()
  private readonly byUserCode = new Map<string, string>()
  private readonly bySessionUid = new Map<string, string>()
  private readonly byGrantId = new Map<string, Set<string>>()
  private lastSweep = Date.now()

  adapter(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`
    return {
      upsert: async (id, payload, expiresIn) => {
        this.sweep()
        const entryKey = key(id)
        const expiresAt = Number.isFinite(expiresIn) ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY
        this.entries.set(entryKey, { model, payload, expiresAt })
        if (model === "Session" && typeof payload.uid === "string") {
          this.bySessionUid.set(payload.uid, id)
        }
        if (typeof payload.userCode === "string") {
          this.byUserCode.set(payload.userCode, id)
        }
        if (typeof payload.grantId === "string" && model !== "Grant") {
          const keys = this.byGrantId.get(payload.grantId) ?? new Set<string>()
          keys.add(entryKey)
          this.byGrantId.set(payload.grantId, keys)
        }
      },
      find: async (id) => this.get(key(id)),
      findByUid: async (uid) => {
        const id = this.bySessionUid.get(uid)
        return id === undefined ? undefined : this.get(key(id))
      },
      findByUserCode: async (userCode) => {
        const id = this.byUserCode.get(userCode)
        return id === undefined ? undefined : this.get(key(id))
      },
      consume: async (id) => {
        const entry = this.entries.get(key(id))
        if (entry !== undefined) {
          entry.payload.consumed = Math.floor(Date.now() / 1000)
        }
      },
      destroy: async (id) => {
        this.entries.delete(key(id))
      },
      revokeByGrantId: async (grantId) => this.revokeGrant(grantId)
    }
  }

  /** The stored grants, for `revokeGrants`. */
  grants(): Array<{ readonly id: string; readonly clientId: string | undefined; readonly accountId: string | undefined }> {
    const now = Date.now()
    const out: Array<{ id: string; clientId: string | undefined; accountId: string | undefined }> = []
    for (const [entryKey, entry] of this.entries) {
      if (entry.model === "Grant" && entry.expiresAt > now) {
        out.push({
          id: entryKey.slice("Grant:".length),
          clientId: typeof entry.payload.clientId === "string" ? entry.payload.clientId : undefined,
          accountId: typeof entry.payload.accountId === "string" ? entry.payload.accountId : undefined
        })
      }
    }
    return out
  }

  /** Removes the grant and every token and code issued under it. */
  revokeGrant(grantId: string): void {
    for (const entryKey of this.byGrantId.get(grantId) ?? []) {
      this.entries.delete(entryKey)
    }
    this.byGrantId.delete(grantId)
    this.entries.delete(`Grant:${grantId}`)
  }

  private get(entryKey: string): AdapterPayload | undefined {
    const entry = this.entries.get(entryKey)
    if (entry === undefined) return undefined
    if (entry.expiresAt + GRACE_MS <= Date.now()) {
      this.entries.delete(entryKey)
      return undefined
    }
    return entry.payload
  }

  private sweep(): void {
    const now = Date.now()
    if (now - this.lastSweep < SWEEP_EVERY_MS) return
    this.lastSweep = now
    for (const [entryKey, entry] of this.entries) {
      if (entry.expiresAt + GRACE_MS <= now) {
        this.entries.delete(entryKey)
      }
    }
    const live = (model: string) => (id: string) => this.entries.has(`${model}:${id}`)
    for (const [userCode, id] of this.byUserCode) {
      if (!live("DeviceCode")(id)) this.byUserCode.delete(userCode)
    }
    for (const [uid, id] of this.bySessionUid) {
      if (!live("Session")(id)) this.bySessionUid.delete(uid)
    }
    for (const [grantId, keys] of this.byGrantId) {
      for (const entryKey of keys) {
        if (!this.entries.has(entryKey)) keys.delete(entryKey)
      }
      if (keys.size === 0 && !this.entries.has(`Grant:${grantId}`)) this.byGrantId.delete(grantId)
    }
  }
}
