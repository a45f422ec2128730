import type { NextConfig } from "next";

// Content-Security-Policy and X-Frame-Options are set per request in proxy.ts:
// connect-src names the Matrix homeserver, which is only known at run time, and
// the chat-only embed (/c/<slug>/chat) must be frameable while nothing else is.

const nextConfig: NextConfig = {
  poweredByHeader: false,
  serverExternalPackages: ["argon2", "pg", "@prisma/adapter-pg", "ioredis", "nodemailer"],
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
