// Field limits, dependency-free so that browser components can import them too.
export const LIMITS = {
  emailMax: 254,
  passwordMin: 10,
  passwordMax: 256,
  displayNameMax: 50,
  slugMin: 3,
  slugMax: 40,
  titleMax: 100,
  descriptionMax: 2000,
  graceMinutesMax: 60,
  /** Longest replay retention a channel may set (days; 0 keeps forever). */
  retentionDaysMax: 3650,
  keyLabelMax: 60,
} as const;
