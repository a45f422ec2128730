// An ffmpeg command as data. Every command builder in lib/ffmpeg returns one;
// workers/ffmpegRunner.ts is the only place that runs them. Keeping commands as
// data lets unit tests read them and lets a remote transcoder receive them.

export interface FfmpegInput {
  /** A file path, URL or lavfi graph. */
  source: string;
  /** Options that go before this input's -i (e.g. ["-f", "lavfi"]). */
  options: string[];
}

export interface FfmpegOutput {
  target: string;
  /** Options for this output (codecs, maps, muxer). */
  options: string[];
}

export interface FfmpegSpec {
  /** Options before the first input (e.g. -hide_banner, -filter_complex_threads). */
  globalOptions: string[];
  inputs: FfmpegInput[];
  filterComplex: string | null;
  outputs: FfmpegOutput[];
}

/** The command line as ffmpeg receives it (after the program name). */
export function specToArgs(spec: FfmpegSpec): string[] {
  const args = [...spec.globalOptions];
  for (const input of spec.inputs) args.push(...input.options, "-i", input.source);
  if (spec.filterComplex) args.push("-filter_complex", spec.filterComplex);
  for (const o of spec.outputs) args.push(...o.options, o.target);
  return args;
}
