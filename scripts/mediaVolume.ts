// The test platform's media directory as a disk of its own (an ext4 file system in
// a sparse image, loop-mounted), so a test can fill it up and watch a live stream
// survive a full disk the way a small server's would. The image costs only what
// is written to it; a test fills it with fallocate, which writes nothing. Needs
// root on Linux; elsewhere the directory stays a plain directory and the
// disk-full test says why it cannot run.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const mounted = new Map<string, string>();
let exitHook = false;

/** Mounts a fresh file system of `megabytes` at `dir` (which exists and is empty); false when this machine will not. */
export function mountSizedVolume(dir: string, megabytes: number): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const image = `${dir}.img`;
  try {
    execFileSync("truncate", ["-s", `${megabytes}M`, image], { stdio: "ignore" });
    // -m 0: no blocks reserved for root, so the roles (root here) see the disk fill up as anyone would.
    execFileSync("mkfs.ext4", ["-q", "-F", "-m", "0", image], { stdio: "ignore" });
    execFileSync("mount", ["-o", "loop", image, dir], { stdio: "ignore" });
  } catch {
    rmSync(image, { force: true });
    return false;
  }
  mounted.set(dir, image);
  if (!exitHook) {
    exitHook = true;
    // A runner that dies without stop() must not leave mounts behind.
    process.on("exit", () => {
      for (const d of [...mounted.keys()]) unmountVolume(d);
    });
  }
  return true;
}

export function unmountVolume(dir: string): void {
  const image = mounted.get(dir);
  if (!image) return;
  mounted.delete(dir);
  try {
    execFileSync("umount", ["-l", dir], { stdio: "ignore" });
  } catch {}
  rmSync(image, { force: true });
}
