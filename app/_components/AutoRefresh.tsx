"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Reloads the server component's data every few seconds (progress of running jobs). */
export function AutoRefresh({ seconds }: { seconds: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), seconds * 1000);
    return () => clearInterval(timer);
  }, [router, seconds]);
  return null;
}
