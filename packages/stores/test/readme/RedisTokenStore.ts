import type { TokenStore as Store } from "@toshi/core"
import { TokenStore } from "@toshi/stores"
import type { Layer } from "effect"
import type { Redis } from "ioredis"

// Tokens in Redis, shared by every process of a fleet, renewed by one of them at a time.
export const RedisTokenStore = (redis: Redis): Layer.Layer<Store.TokenStore> =>
  TokenStore.layerPromise({
    load: (key) => redis.get(`toshi:${key}`),
    save: (key, value) => redis.set(`toshi:${key}`, value),
    clear: (key) => redis.del(`toshi:${key}`),
    // A lease: SET NX with an expiry, released only by its owner.
    withLock: async (key, renew) => {
      const lock = `toshi:${key}:lock`
      const owner = crypto.randomUUID()
      for (let waited = 0; (await redis.set(lock, owner, "PX", 30_000, "NX")) !== "OK"; waited += 50) {
        if (waited > 60_000) throw new Error(`${lock} is still held after a minute`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      try {
        return await renew()
      } finally {
        await redis.eval(
          "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end",
          1,
          lock,
          owner
        )
      }
    }
  })
