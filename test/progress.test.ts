// The expected strings are tqdm's own format (tqdm/std.py format_meter: "{desc}: {percentage:3.0f}%|{bar}|
// {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]", rate "{:5.2f}", 10-character unicode
// bar in eighths), worked out by hand from the formula, plus lines tqdm prints in the course notebook and
// its documentation.
import { describe, expect, it } from "vitest";
import { formatInterval, formatNum, formatSizeof, tqdm } from "../src/utils/progress";

class FakeStream {
  chunks: string[] = [];
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join("");
  }
}

function fakeClock(): { now: number; clock: () => number } {
  const state = { now: 1_000, clock: () => state.now };
  return state;
}

describe("tqdm format", () => {
  it("a resumed bar counts the earlier steps in n, not in the rate (tqdm's initial)", () => {
    const time = fakeClock();
    const bar = tqdm(100, { stream: new FakeStream(false), clock: time.clock });
    bar.resume(60);
    time.now += 10_000;
    bar.update(20);
    // 80/100 = 80% = 8 full blocks; 20 steps run here in 10 s = 2.00 it/s (not 80/10 = 8); 20 left / 2 = 10 s.
    expect(bar.format()).toBe(" 80%|████████  | 80/100 [00:10<00:10,  2.00it/s]");
  });

  it("starts like the course notebook's bar", () => {
    const time = fakeClock();
    const bar = tqdm(1377, { stream: new FakeStream(false), clock: time.clock });
    expect(bar.format()).toBe("  0%|          | 0/1377 [00:00<?, ?it/s]");
  });

  it("shows percent, eighth-block bar, count, elapsed<eta, rate and postfix", () => {
    const time = fakeClock();
    const bar = tqdm(1377, { stream: new FakeStream(false), clock: time.clock });
    time.now += 41_000;
    bar.update(620);
    bar.setPostfix({ loss: 0.612 });
    // 620/1377 = 45.03%; 0.4503*80 = 36 eighths = 4 full blocks + "▌"; 620/41 s = 15.12 it/s;
    // (1377-620)/15.12 = 50.06 s left.
    expect(bar.format()).toBe(" 45%|████▌     | 620/1377 [00:41<00:50, 15.12it/s, loss=0.612]");
    expect(bar.n).toBe(620);
    expect(bar.total).toBe(1377);
  });

  it("inverts slow rates and prefixes desc, as in tqdm's docs (70/100 in 70.7 s)", () => {
    const time = fakeClock();
    const bar = tqdm(100, { desc: "加载中", stream: new FakeStream(false), clock: time.clock });
    time.now += 70_700;
    bar.update(70);
    expect(bar.format()).toBe("加载中:  70%|███████   | 70/100 [01:10<00:30,  1.01s/it]");
  });

  it("formats postfix numbers with tqdm's format_num (3 significant digits unless shorter as is)", () => {
    expect(formatNum(0.6931)).toBe("0.693");
    expect(formatNum(0.612)).toBe("0.612");
    expect(formatNum(1e-5)).toBe("1e-5");
    expect(formatNum(12345.678)).toBe("1.23e+4");
    expect(formatNum(0.000123456)).toBe("0.000123");
    expect(formatNum(5)).toBe("5");
    const time = fakeClock();
    const bar = tqdm(10, { stream: new FakeStream(false), clock: time.clock });
    bar.setPostfix({ loss: 0.6931, lr: 5e-5, epoch: 2 });
    expect(bar.format()).toBe("  0%|          | 0/10 [00:00<?, ?it/s, loss=0.693, lr=5e-5, epoch=2]");
  });

  it("formats intervals and sizes like tqdm", () => {
    expect(formatInterval(0)).toBe("00:00");
    expect(formatInterval(59.9)).toBe("00:59");
    expect(formatInterval(3725)).toBe("1:02:05");
    expect(formatSizeof(440_449_768)).toBe("440M");
    expect(formatSizeof(999)).toBe("999");
    expect(formatSizeof(1_500_000)).toBe("1.50M");
    expect(formatSizeof(45_000)).toBe("45.0k");
    expect(formatSizeof(1024, 1024)).toBe("1.00k");
  });

  it("scales bytes for downloads (unit B: 1000-based like huggingface_hub's bars)", () => {
    const time = fakeClock();
    const bar = tqdm(440_449_768, { unit: "B", desc: "model.safetensors", stream: new FakeStream(false), clock: time.clock });
    time.now += 4_000;
    bar.update(220_224_884);
    // 50%: 40 eighths = 5 full blocks; 220.2 MB in 4 s = 55.1 MB/s, 4 s left.
    expect(bar.format()).toBe("model.safetensors:  50%|█████     | 220M/440M [00:04<00:04, 55.1MB/s]");
  });

  it("rounds the percent half to even as Python does (1/8 = 12.5% -> 12)", () => {
    const time = fakeClock();
    const bar = tqdm(8, { stream: new FakeStream(false), clock: time.clock });
    bar.update(1);
    expect(bar.format().startsWith(" 12%|")).toBe(true);
  });
});

describe("tqdm output", () => {
  it("prints a plain line every 5% and at the end when the stream is not a TTY", () => {
    const time = fakeClock();
    const stream = new FakeStream(false);
    const bar = tqdm(1377, { stream, clock: time.clock });
    for (let i = 0; i < 1377; i++) {
      time.now += 10;
      bar.update(1);
    }
    bar.close();
    expect(stream.text).not.toContain("\r");
    const lines = stream.text.split("\n").filter((l) => l.length > 0);
    // 0%, then each of the 20 twentieths (5%, 10%, ..., 100%); close() adds nothing already printed.
    expect(lines).toHaveLength(21);
    const percents = lines.map((l) => Number(l.slice(0, 3)));
    expect(percents).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
    expect(lines[20]).toBe("100%|██████████| 1377/1377 [00:13<00:00, 100.00it/s]");
    expect(stream.text.endsWith("\n")).toBe(true);
  });

  it("prints the final state at close when it stopped short of a 5% step", () => {
    const time = fakeClock();
    const stream = new FakeStream(false);
    const bar = tqdm(100, { stream, clock: time.clock });
    for (let i = 0; i < 7; i++) bar.update(1);
    bar.close();
    const lines = stream.text.split("\n").filter((l) => l.length > 0);
    expect(lines.map((l) => l.slice(0, 4))).toEqual(["  0%", "  5%", "  7%"]);
  });

  it("redraws one line with \\r on a TTY, throttled to minInterval, newline at close", () => {
    const time = fakeClock();
    const stream = new FakeStream(true);
    const bar = tqdm(100, { stream, clock: time.clock });
    for (let i = 0; i < 100; i++) {
      time.now += 10; // 10 ms a step: one redraw per 100 ms = every 10 steps
      bar.update(1);
    }
    const drawsBeforeClose = stream.chunks.length;
    bar.close();
    expect(stream.text).not.toMatch(/\n(?!$)/); // the only newline is the last character
    expect(stream.text.endsWith("\n")).toBe(true);
    expect(stream.chunks.every((c) => c.startsWith("\r") || c === "\n")).toBe(true);
    // the initial draw, ten throttled redraws (n = 10, 20, ..., 100), then close's redraw and "\n"
    expect(drawsBeforeClose).toBe(11);
    expect(stream.chunks.at(-2)).toBe("\r100%|██████████| 100/100 [00:01<00:00, 100.00it/s]");
  });

  it("pads with spaces when a redraw is shorter than the previous line", () => {
    const time = fakeClock();
    const stream = new FakeStream(true);
    const bar = tqdm(10, { stream, clock: time.clock, minInterval: 0 });
    bar.setPostfix({ status: "downloading" });
    const long = stream.chunks.at(-1)!;
    bar.setPostfix({ status: "ok" });
    const short = stream.chunks.at(-1)!;
    expect(short.length).toBe(long.length);
    expect(short.trimEnd().endsWith("status=ok]")).toBe(true);
  });

  it("ignores updates after close and writes nothing when disabled", () => {
    const time = fakeClock();
    const stream = new FakeStream(false);
    const bar = tqdm(10, { stream, clock: time.clock });
    bar.close();
    const written = stream.text;
    bar.update(5);
    bar.close();
    expect(bar.n).toBe(0);
    expect(stream.text).toBe(written);
    const silent = new FakeStream(true);
    const off = tqdm(10, { stream: silent, clock: time.clock, disable: true });
    off.update(10);
    off.close();
    expect(silent.chunks).toHaveLength(0);
  });
});
