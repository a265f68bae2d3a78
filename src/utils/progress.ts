// A tqdm-like progress bar (the course's `tqdm(range(num_training_steps))`). The text follows tqdm's
// default format so a log reads the same as the Python run:
//   " 45%|████▌     | 620/1377 [00:41<00:50, 15.10it/s, loss=0.612]"
// On a TTY it redraws one line with "\r"; elsewhere (CI, a log file) "\r" would pile up into one huge
// line, so it prints a plain line each time another 5% is done, and at the end.

/** Where the bar is written: process.stderr, or any object with write (tests pass a fake). */
export type ProgressStream = {
  write(text: string): unknown;
  isTTY?: boolean;
};

export type TqdmOptions = {
  /** Prefix, as tqdm's desc: "Downloading" gives "Downloading:  45%|...". */
  desc?: string;
  /** Unit of one step: "it" by default; "B" for bytes. */
  unit?: string;
  /** Scale counts and rates with k/M/G prefixes (tqdm's unit_scale). Defaults to true when unit is "B". */
  unitScale?: boolean;
  /** 1000 (tqdm's default, and what huggingface_hub's download bars use: "440M/440M") or 1024. */
  unitDivisor?: number;
  /** Defaults to process.stderr, like tqdm. */
  stream?: ProgressStream;
  /** Milliseconds; injected by tests. Defaults to performance.now. */
  clock?: () => number;
  /** Least time between two TTY redraws, in seconds (tqdm's mininterval, 0.1). */
  minInterval?: number;
  /** Non-TTY: print a line each time this fraction of the total is done (0.05). */
  logEvery?: number;
  /** Width of the bar in characters (10, tqdm's width when the terminal size is unknown). */
  barWidth?: number;
  /** Write nothing at all (tqdm's disable). */
  disable?: boolean;
};

export type PostfixValue = number | string | boolean;

// tqdm's unicode charset: eighths of a block.
const BAR_CHARS = " ▏▎▍▌▋▊▉█";

/** tqdm.format_interval: "MM:SS", or "H:MM:SS" past an hour. */
export function formatInterval(seconds: number): string {
  const total = Math.floor(seconds);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const pad = (v: number): string => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/** tqdm.format_sizeof: three significant figures and a k/M/G... prefix ("1.50M", "45.0k", "999"). */
export function formatSizeof(num: number, divisor = 1000): string {
  for (const prefix of ["", "k", "M", "G", "T", "P", "E", "Z"]) {
    if (Math.abs(num) < 999.5) {
      if (Math.abs(num) < 99.95) {
        if (Math.abs(num) < 9.995) return `${num.toFixed(2)}${prefix}`;
        return `${num.toFixed(1)}${prefix}`;
      }
      return `${num.toFixed(0).padStart(3)}${prefix}`;
    }
    num /= divisor;
  }
  return `${num.toFixed(1)}Y`;
}

/** tqdm.format_num, used for postfix numbers: Python's "{:.3g}" unless str() is shorter. */
export function formatNum(value: number): string {
  const plain = String(value);
  if (Number.isInteger(value) || !Number.isFinite(value)) return plain;
  // Python's "g": scientific when the exponent is < -4 or >= the precision, trailing zeros dropped,
  // exponent of at least two digits ("1.23e-05"); JS's toPrecision switches at other exponents.
  const [mantissa, exponentText] = value.toExponential(2).split("e") as [string, string];
  const exponent = Number(exponentText);
  const stripZeros = (text: string): string => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
  let g: string;
  if (exponent < -4 || exponent >= 3) {
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    g = `${stripZeros(mantissa)}e${exponent < 0 ? "-" : "+"}${digits}`;
  } else {
    g = stripZeros(value.toFixed(2 - exponent));
  }
  // tqdm shortens exponents this way (and, as a side effect, "-0.5" to "-.5"); kept for identical logs.
  g = g.replaceAll("+0", "+").replaceAll("-0", "-");
  return g.length < plain.length ? g : plain;
}

function formatPostfixValue(value: PostfixValue): string {
  if (typeof value === "number") return formatNum(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  return value.trim();
}

/** Python's "{:.0f}" rounds ties to even (12.5 -> 12); JS's toFixed rounds them up. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

function renderBar(fraction: number, width: number): string {
  const symbols = BAR_CHARS.length - 1;
  const clamped = Math.min(1, Math.max(0, fraction));
  const eighths = Math.floor(clamped * width * symbols);
  const full = Math.floor(eighths / symbols);
  const partial = eighths % symbols;
  let bar = BAR_CHARS[symbols]!.repeat(full);
  if (full < width) bar += BAR_CHARS[partial]! + BAR_CHARS[0]!.repeat(width - full - 1);
  return bar;
}

export class ProgressBar {
  /** Steps done so far. */
  n = 0;
  readonly total: number | undefined;
  readonly desc: string;
  readonly unit: string;
  private readonly unitScale: boolean;
  private readonly unitDivisor: number;
  private readonly stream: ProgressStream | undefined;
  private readonly clock: () => number;
  private readonly minIntervalMs: number;
  private readonly logEvery: number;
  private readonly barWidth: number;
  private readonly tty: boolean;
  private readonly startMs: number;
  private postfix = "";
  /** Steps done before the bar started (resume), left out of the rate. */
  private initial = 0;
  private closed = false;
  private lastDrawMs = -Infinity;
  private lastLineLength = 0;
  /** Non-TTY: index of the last logEvery slice printed, and the n it was printed at. */
  private lastLoggedSlice = -1;
  private lastLoggedN = -1;

  constructor(total: number | undefined, options: TqdmOptions = {}) {
    this.total = total !== undefined && Number.isFinite(total) && total > 0 ? total : undefined;
    this.desc = options.desc ?? "";
    this.unit = options.unit ?? "it";
    this.unitScale = options.unitScale ?? this.unit === "B";
    this.unitDivisor = options.unitDivisor ?? 1000;
    this.stream = options.disable ? undefined : (options.stream ?? process.stderr);
    this.clock = options.clock ?? (() => performance.now());
    this.minIntervalMs = (options.minInterval ?? 0.1) * 1000;
    this.logEvery = options.logEvery ?? 0.05;
    this.barWidth = options.barWidth ?? 10;
    this.tty = this.stream?.isTTY === true;
    this.startMs = this.clock();
    this.draw(true);
  }

  /** Seconds since the bar was created. */
  get elapsed(): number {
    return Math.max(0, (this.clock() - this.startMs) / 1000);
  }

  /** Advance by n steps (1 by default), like tqdm.update. */
  update(n = 1): void {
    if (this.closed) return;
    this.n += n;
    this.draw(false);
  }

  /**
   * Start from `n` steps done before this bar existed (a resumed run): they count in the total, not in the
   * rate, as tqdm's `initial`; otherwise a resumed bar would show thousands of it/s.
   */
  resume(n: number): void {
    if (this.closed) return;
    this.n += n;
    this.initial += n;
    this.draw(false);
  }

  /** Values shown after the rate, like tqdm.set_postfix: setPostfix({ loss: 0.6931 }) shows "loss=0.693". */
  setPostfix(values: Record<string, PostfixValue>): void {
    this.postfix = Object.entries(values)
      .map(([key, value]) => `${key}=${formatPostfixValue(value)}`)
      .join(", ");
    if (!this.closed) this.draw(false);
  }

  /** Draw the final state and end the line. Further updates are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.stream === undefined) return;
    const line = this.format();
    if (this.tty) {
      this.writeTty(line);
      this.stream.write("\n");
    } else if (this.lastLoggedN !== this.n) {
      this.stream.write(`${line}\n`);
    }
  }

  /** The bar's text now, tqdm's format: "desc:  45%|████▌     | 620/1377 [00:41<00:50, 15.10it/s, loss=0.612]". */
  format(): string {
    const elapsed = this.elapsed;
    const rate = elapsed > 0 ? (this.n - this.initial) / elapsed : undefined;
    const count = (v: number): string => (this.unitScale ? formatSizeof(v, this.unitDivisor) : String(v));
    const rateText = this.formatRate(rate);
    const postfix = this.postfix.length > 0 ? `, ${this.postfix}` : "";
    const prefix = this.desc.length > 0 ? `${this.desc}: ` : "";
    if (this.total === undefined) {
      return `${prefix}${count(this.n)}${this.unit} [${formatInterval(elapsed)}, ${rateText}${postfix}]`;
    }
    const fraction = this.n / this.total;
    const percent = String(roundHalfEven(fraction * 100)).padStart(3);
    const remaining =
      rate !== undefined && rate > 0 ? formatInterval(Math.max(0, this.total - this.n) / rate) : "?";
    return (
      `${prefix}${percent}%|${renderBar(fraction, this.barWidth)}| ${count(this.n)}/${count(this.total)} ` +
      `[${formatInterval(elapsed)}<${remaining}, ${rateText}${postfix}]`
    );
  }

  private formatRate(rate: number | undefined): string {
    if (rate === undefined || rate === 0) return `?${this.unit}/s`;
    const number = (v: number): string =>
      this.unitScale ? formatSizeof(v, this.unitDivisor) : v.toFixed(2).padStart(5);
    // tqdm shows slow progress inverted ("1.61s/it") once a step takes more than a second.
    if (rate < 1) return `${number(1 / rate)}s/${this.unit}`;
    return `${number(rate)}${this.unit}/s`;
  }

  private draw(initial: boolean): void {
    if (this.stream === undefined) return;
    if (this.tty) {
      const now = this.clock();
      const finished = this.total !== undefined && this.n >= this.total;
      if (!initial && !finished && now - this.lastDrawMs < this.minIntervalMs) return;
      this.lastDrawMs = now;
      this.writeTty(this.format());
      return;
    }
    // Without a known total there is no 5% to count: a log gets the first line and the last only.
    if (this.total === undefined) {
      if (initial) this.logLine();
      return;
    }
    const slice = Math.floor(Math.min(this.n, this.total) / (this.total * this.logEvery) + 1e-9);
    if (initial || slice > this.lastLoggedSlice) {
      this.lastLoggedSlice = slice;
      this.logLine();
    }
  }

  private logLine(): void {
    this.lastLoggedN = this.n;
    this.stream?.write(`${this.format()}\n`);
  }

  private writeTty(line: string): void {
    // Spaces wipe the tail of a longer previous line (a postfix that got shorter).
    const padding = " ".repeat(Math.max(0, this.lastLineLength - line.length));
    this.lastLineLength = line.length;
    this.stream?.write(`\r${line}${padding}`);
  }
}

/** Like Python's `tqdm(total=...)`: `const bar = tqdm(numTrainingSteps); bar.update(1); bar.close()`. */
export function tqdm(total: number | undefined, options: TqdmOptions = {}): ProgressBar {
  return new ProgressBar(total, options);
}
