// CPU idle on this machine and CPU used by one process, between two samples,
// from /proc (Linux). The overload policy steps back up only when there is room.
import { readFileSync } from "node:fs";
import os from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ

function machineTicks(): { idle: number; total: number } | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}

export class CpuSampler {
  private last: { at: number; machine: { idle: number; total: number } | null; proc: number | null } | null = null;

  constructor(private pid: number | undefined) {}

  /** Cores idle on the machine and cores used by the process since the previous call (nulls the first time). */
  sample(now = Date.now()): { idleCores: number | null; processCores: number | null } {
    const machine = machineTicks();
    const proc = this.pid ? processTicks(this.pid) : null;
    const prev = this.last;
    this.last = { at: now, machine, proc };
    if (!prev || now - prev.at < 500) return { idleCores: null, processCores: null };
    const cores = os.availableParallelism();
    const idleCores = machine && prev.machine && machine.total > prev.machine.total
      ? ((machine.idle - prev.machine.idle) / (machine.total - prev.machine.total)) * cores
      : null;
    const processCores = proc !== null && prev.proc !== null ? (proc - prev.proc) / TICKS_PER_SECOND / ((now - prev.at) / 1000) : null;
    return { idleCores, processCores };
  }
}
