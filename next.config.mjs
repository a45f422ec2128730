// Content-Security-Policy and X-Frame-Options are set per request in proxy.ts:
// connect-src names the Matrix homeserver, which is only known at run time, and
// the chat-only embed (/c/<slug>/chat) must be frameable while nothing else is.

// JavaScript, not TypeScript: a next.config.ts makes every start of the web role load Next's
// SWC compiler (24 MB resident) only to read this file.

/** @type {import("next").NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  experimental: {
    // Load each route's server code when it is first requested, not all of it at start: an idle
    // web process keeps only what was used (bench:footprint).
    preloadEntriesOnStart: false,
  },
  // The AWS SDK stays a plain node import too, loaded only when MEDIA_STORE=s3 (lib/media/s3Store.ts).
  serverExternalPackages: ["argon2", "pg", "@prisma/adapter-pg", "ioredis", "nodemailer", "@aws-sdk/client-s3", "@aws-sdk/lib-storage", "@aws-sdk/s3-request-presigner"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
