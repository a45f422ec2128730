// The live ladder command run by real ffmpeg on real sources (no platform needed):
// every shape of source a publisher may send comes out as renditions of the right
// size, at a constant frame rate, with keyframes and segment boundaries on the
// input's timeline, and AAC-LC 48 kHz stereo audio (or none).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { buildLiveLadder, type LiveLadderOptions, type SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { specToArgs } from "../../lib/ffmpeg/spec.ts";
import { parseLadder } from "../../lib/ladder.ts";

const FFMPEG = process.env.FFMPEG_PATH ?? "ffmpeg";
const FFPROBE = process.env.FFPROBE_PATH ?? "ffprobe";
const LADDER = "1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k";
const SEG = 2;
const SECONDS = 6;
const TIMEOUT = 60_000;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "lh-ladder-ffmpeg-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20_000)));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** A few seconds of FLV as a publisher would send it: H.264 with its own keyframe
 * interval (1.5 s, deliberately not the segment length) and optionally AAC. */
async function makeFlv(name: string, video: string, audio: string[] | null, extra: string[] = [], seconds = SECONDS): Promise<string> {
  const file = path.join(dir, `${name}.flv`);
  const audioIn = audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : [];
  await run(FFMPEG, [
    "-v", "error", "-y", "-f", "lavfi", "-i", video, ...audioIn, "-t", String(seconds),
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-force_key_frames", "expr:gte(t,n_forced*1.5)", ...extra,
    // atrim: without it the AAC priming frame would be negative and the FLV muxer would
    // shift the video off 0, making "boundaries at multiples of 2 s" untestable.
    ...(audio ? ["-af", "atrim=start=0.05", "-c:a", "aac", ...audio] : ["-an"]), file,
  ]);
  return file;
}

interface Segment {
  file: string;
  start: number;
  end: number;
}

async function runLadder(name: string, input: string, source: SourceInfo, more: Partial<LiveLadderOptions> = {}) {
  const out = path.join(dir, name);
  const { spec, renditions } = buildLiveLadder({
    input,
    inputFormat: "flv",
    source,
    ladder: parseLadder(LADDER),
    segmentSeconds: SEG,
    outputDir: (r) => {
      const d = path.join(out, r.name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    segmentPrefix: "p0e1-",
    x264Preset: "ultrafast",
    ...more,
  });
  const { stderr } = await run(FFMPEG, specToArgs(spec));
  const segments = new Map<string, Segment[]>();
  for (const r of renditions) {
    const d = path.join(out, r.name);
    const rows = readFileSync(path.join(d, "p0e1-segments.csv"), "utf8").trim().split("\n");
    segments.set(r.name, rows.map((row) => {
      const [file, start, end] = row.split(",");
      return { file: path.join(d, file), start: Number(start), end: Number(end) };
    }));
  }
  return { renditions, segments, stderr };
}

interface Probed {
  video: { width: number; height: number; packets: { pts: number; key: boolean }[] };
  audio: { codec: string; profile: string; sampleRate: number; channels: number; firstPts: number } | null;
}

async function probe(file: string): Promise<Probed> {
  const { stdout } = await run(FFPROBE, [
    "-v", "error", "-of", "json",
    "-show_entries", "stream=index,codec_type,codec_name,profile,width,height,sample_rate,channels:packet=stream_index,pts_time,flags",
    file,
  ]);
  const j = JSON.parse(stdout) as {
    streams: { index: number; codec_type: string; codec_name: string; profile?: string; width?: number; height?: number; sample_rate?: string; channels?: number }[];
    packets: { stream_index: number; pts_time: string; flags: string }[];
  };
  const v = j.streams.find((s) => s.codec_type === "video")!;
  const a = j.streams.find((s) => s.codec_type === "audio");
  const packets = (index: number) => j.packets.filter((p) => p.stream_index === index);
  return {
    video: {
      width: v.width!,
      height: v.height!,
      packets: packets(v.index).map((p) => ({ pts: Number(p.pts_time), key: p.flags.startsWith("K") })),
    },
    audio: a
      ? { codec: a.codec_name, profile: a.profile ?? "", sampleRate: Number(a.sample_rate), channels: a.channels!, firstPts: Number(packets(a.index)[0]?.pts_time) }
      : null,
  };
}

const near = (a: number, b: number, tol = 0.002) => Math.abs(a - b) <= tol;
const isMultiple = (t: number, of: number) => near(t / of, Math.round(t / of), 0.002 / of);

/** Everything the rules promise about one run's renditions. */
async function checkRun(
  run: Awaited<ReturnType<typeof runLadder>>,
  expected: { name: string; width: number; height: number; fps: number }[],
  audio: boolean,
  { startsAt = 0, seconds = SECONDS } = {},
): Promise<Map<string, number[]>> {
  assert.deepEqual(
    run.renditions.map((r) => ({ name: r.name, width: r.width, height: r.height, fps: r.fps })),
    expected,
  );
  const keyframes = new Map<string, number[]>();
  for (const r of expected) {
    const segs = run.segments.get(r.name)!;
    assert.ok(segs.length >= 2, `${r.name}: several segments`);
    const pts: number[] = [];
    const keys: number[] = [];
    for (const [i, seg] of segs.entries()) {
      const p = await probe(seg.file);
      assert.equal(p.video.width, r.width, `${r.name} width`);
      assert.equal(p.video.height, r.height, `${r.name} height`);
      assert.ok(p.video.packets[0].key, `${r.name} segment ${i} starts on a keyframe`);
      const first = p.video.packets[0].pts;
      // ffmpeg 5.1's segment muxer lists its first segment as starting at 0 whatever its
      // first timestamp; a reader resuming mid-stream knows the start from elsewhere.
      const listed = i === 0 && startsAt !== 0 ? 0 : first;
      assert.ok(near(seg.start, listed), `${r.name} segment ${i}: the list's start ${seg.start}, first frame ${first}`);
      if (i === 0) assert.ok(near(first, startsAt, 1 / r.fps), `${r.name} starts at the input's start ${startsAt}, not ${first}`);
      else assert.ok(isMultiple(first, SEG), `${r.name} segment ${i} starts at ${first}, a multiple of ${SEG} s`);
      pts.push(...p.video.packets.map((x) => x.pts));
      keys.push(...p.video.packets.filter((x) => x.key).map((x) => x.pts));
      if (audio) {
        assert.ok(p.audio, `${r.name} segment ${i} has audio`);
        assert.deepEqual([p.audio.codec, p.audio.profile, p.audio.sampleRate, p.audio.channels], ["aac", "LC", 48000, 2]);
        // On the input's timeline: never shifted away from the video (e.g. to 0 or by a resampler).
        assert.ok(Math.abs(p.audio.firstPts - first) < 0.1, `${r.name} segment ${i}: audio at ${p.audio.firstPts}, video at ${first}`);
      } else {
        assert.equal(p.audio, null, `${r.name} has no audio`);
      }
    }
    // Constant frame rate: every frame exactly 1/fps after the one before, across segments.
    const steps = pts.slice(1).map((t, i) => t - pts[i]);
    const odd = steps.filter((s) => !near(s, 1 / r.fps, 0.0015));
    assert.deepEqual(odd, [], `${r.name}: frames every ${1 / r.fps} s`);
    assert.ok(near(pts.length / r.fps, seconds - startsAt, 0.3), `${r.name}: ${pts.length} frames for ${seconds - startsAt} s`);
    // Keyframes only on segment boundaries (besides the first frame).
    assert.deepEqual(keys.slice(1).filter((t) => !isMultiple(t, SEG)), [], `${r.name}: keyframes at ${keys.join(", ")}`);
    keyframes.set(r.name, keys);
  }
  return keyframes;
}

const landscape = (name: string, w: number, h: number, fps: number) => ({ name, width: w, height: h, fps });

describe("the live ladder command with real ffmpeg", { timeout: TIMEOUT * 3 }, () => {
  it("portrait 720x1280@30, AAC 48 kHz stereo (copied): rungs by the short side", { timeout: TIMEOUT }, async () => {
    const src = await makeFlv("portrait", "testsrc2=size=720x1280:rate=30", ["-ar", "48000", "-ac", "2"]);
    const out = await runLadder("portrait", src, { width: 720, height: 1280, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 });
    await checkRun(out, [landscape("720p30", 720, 1280, 30), landscape("480p30", 480, 854, 30), landscape("360p30", 360, 640, 30)], true);
    assert.match(out.stderr, /speed=/, "stats lines for the runner");
  });

  it("320x240@15 webcam, AAC 22.05 kHz mono: one rung at its own size, audio re-encoded", { timeout: TIMEOUT }, async () => {
    const src = await makeFlv("webcam", "testsrc2=size=320x240:rate=15", ["-ar", "22050", "-ac", "1"]);
    const out = await runLadder("webcam", src, { width: 320, height: 240, fps: 15, videoCodec: null, audioCodec: "mp4a.40.2", audioSampleRate: 22050, audioChannels: 1 });
    await checkRun(out, [landscape("240p15", 320, 240, 15)], true);
  });

  it("1366x768@60, AAC 44.1 kHz stereo: 30 fps rungs, even sizes with the aspect kept, audio re-encoded", { timeout: TIMEOUT }, async () => {
    const src = await makeFlv("laptop", "testsrc2=size=1366x768:rate=60", ["-ar", "44100", "-ac", "2"]);
    const out = await runLadder("laptop", src, { width: 1366, height: 768, fps: 60, videoCodec: null, audioCodec: "mp4a.40.2", audioSampleRate: 44100, audioChannels: 2 });
    await checkRun(out, [landscape("720p30", 1280, 720, 30), landscape("480p30", 854, 480, 30), landscape("360p30", 640, 360, 30)], true);
  });

  it("1280x720@30 without audio: no audio in any rendition", { timeout: TIMEOUT }, async () => {
    const src = await makeFlv("silent", "testsrc2=size=1280x720:rate=30", null);
    const out = await runLadder("silent", src, { width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: null });
    await checkRun(out, [landscape("720p30", 1280, 720, 30), landscape("480p30", 854, 480, 30), landscape("360p30", 640, 360, 30)], false);
  });

  it("variable frame rate (dropped frames, jittered timestamps) comes out at a constant 30 fps", { timeout: TIMEOUT }, async () => {
    // Drops 2 frames in 7 and jitters the rest by up to ±8 ms, as phones and OBS under load do.
    const src = await makeFlv("vfr", "testsrc2=size=640x360:rate=30", ["-ar", "48000", "-ac", "2"], [
      "-vf", "select='not(between(mod(n,7),3,4))',setpts='PTS+if(gt(N,0),0.008*sin(N)/TB,0)'", "-fps_mode", "vfr",
    ]);
    const srcPts = (await probe(src)).video.packets.map((p) => p.pts);
    const srcSteps = new Set(srcPts.slice(1).map((t, i) => Math.round((t - srcPts[i]) * 1000)));
    assert.ok(srcSteps.size > 3, `the source really is variable-rate: steps ${[...srcSteps].join(", ")} ms`);
    const out = await runLadder("vfr", src, { width: 640, height: 360, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 });
    await checkRun(out, [landscape("360p30", 640, 360, 30)], true);
  });

  it("a restart from a later keyframe puts its keyframes on the same absolute multiples", { timeout: TIMEOUT }, async () => {
    const whole = await makeFlv("restart", "testsrc2=size=640x360:rate=30", ["-ar", "44100", "-ac", "2"], [], 9);
    // What a spool read from the middle delivers: the tags from a keyframe on, original timestamps.
    const tail = path.join(dir, "restart-tail.flv");
    await run(FFMPEG, ["-v", "error", "-y", "-ss", "4.6", "-i", whole, "-c", "copy", "-copyts", tail]);
    const tailStart = (await probe(tail)).video.packets[0].pts;
    assert.equal(tailStart, 4.5, "the last source keyframe before 4.6 s");
    const source: SourceInfo = { width: 640, height: 360, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2", audioSampleRate: 44100, audioChannels: 2 };
    const expected = [landscape("360p30", 640, 360, 30)];

    const first = await checkRun(await runLadder("restart-a", whole, source), expected, true, { seconds: 9 });
    const again = await checkRun(await runLadder("restart-b", tail, source, { inputStartSeconds: tailStart }), expected, true, { startsAt: tailStart, seconds: 9 });
    assert.deepEqual(first.get("360p30"), [0, 2, 4, 6, 8]);
    assert.deepEqual(again.get("360p30"), [4.5, 6, 8]);

    // Why inputStartSeconds exists: ffmpeg 5.1 counts `t` from the first frame, so
    // without it the restarted process cuts 4.5 s + 2 s, off the first one's grid.
    const unaware = await runLadder("restart-c", tail, source);
    const cuts = unaware.segments.get("360p30")!.slice(1).map((s) => Math.round(s.start * 1000) / 1000);
    assert.deepEqual(cuts, [6.5, 8.5]);
  });
});
