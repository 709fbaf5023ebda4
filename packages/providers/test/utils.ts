import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import * as Effect from "effect/Effect"

/** A manager over `provider` with a memory store and the raise policy, inside the current scope. */
export const managerFor = (provider: AuthProvider.AuthProviderService, options?: TokenManager.Options) =>
  TokenManager.make(options).pipe(
    Effect.provideService(AuthProvider.AuthProvider, provider),
    Effect.provideService(TokenStore.TokenStore, TokenStore.makeMemory()),
    Effect.provideService(RefreshPolicy.RefreshPolicy, RefreshPolicy.raise),
    Effect.provideService(RefreshHooks.RefreshHooks, RefreshHooks.make({}))
  )
