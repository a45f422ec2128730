// Matrix power levels in a channel's chat room. Dependency-free so that browser
// components can import it; lib/chat/rules.ts builds the power_levels content from it.
export const POWER = { owner: 100, bot: 100, moderator: 50, everyone: 0 } as const;
