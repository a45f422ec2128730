// CPU seconds used by child processes, from the kernel's accounting of reaped
// children (/proc/self/stat cutime + cstime). Run the measured commands one
// after another: the counter covers every child that exits meanwhile.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

export function childCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / TICKS; // cutime, cstime
}

export function runMeasured(cmd: string, args: string[]): Promise<{ cpu: number; wall: number }> {
  const cpu0 = childCpuSeconds();
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
    p.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${err}`));
      resolve({ cpu: childCpuSeconds() - cpu0, wall: (Date.now() - t0) / 1000 });
    });
  });
}
